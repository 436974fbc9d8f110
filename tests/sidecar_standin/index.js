'use strict';
// Test stand-in for the AgentCom sidecar, written from the real sidecar's observable
// behaviour (config.json, queue.json, results files, wire messages, log lines).
// See README.md for what it does and the stand-in-only config keys.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { exec } = require('child_process');
const WebSocket = require('ws');

const CONFIG_PATH = path.join(__dirname, 'config.json');
const QUEUE_PATH = path.join(__dirname, 'queue.json');
const LEVELS = { debug: 10, info: 20, notice: 30, warning: 40, error: 50 };
// Severity of each event in the structured shape (later sidecars); the rest are info.
const SEVERITY = {
  task_ack: 'debug', confirmation_ignored: 'debug', result_ignored: 'debug',
  result_watcher_started_file: 'debug', result_watcher_result_file: 'debug',
  result_watcher_unknown_file: 'debug', recovery_reassign_ignored: 'debug',
  recovery_continue_ignored: 'debug', unhandled_message: 'debug',
  ws_close: 'warning', task_rejected: 'warning', recovery_found: 'warning',
  task_failed: 'warning', confirmation_timeout: 'warning', heartbeat_timeout: 'warning',
  wake_retry: 'warning', send_failed: 'warning',
  hub_error: 'error', ws_error: 'error', wake_error: 'error', wake_failed: 'error',
  result_parse_error: 'error', ws_connect_error: 'error', send_error: 'error',
  config_not_found: 'error', config_missing_field: 'error', config_invalid: 'error',
};

let config = null;
let queue = { active: null, recovering: null };

// --- log: one JSON object per line, appended synchronously ---------------------

function log(event, data = {}) {
  const format = config ? config.log_format : 'phase-5';
  const structured = format === 'structured';
  const now = new Date().toISOString();
  let entry;
  if (format === 'plain') {
    // A shape no known sidecar writes: the library must fall back to hub records.
    if (config.log_file) fs.appendFileSync(config.log_file, `[${now}] ${event} ${JSON.stringify(data)}\n`);
    console.log(`[${now}] ${event}`);
    return;
  }
  if (structured) {
    const severity = SEVERITY[event] || 'info';
    if (LEVELS[severity] < (LEVELS[config.log_level] || LEVELS.info)) return;
    entry = {
      time: now, severity, message: event, module: 'sidecar/index', pid: process.pid,
      node: os.hostname(), agent_id: config.agent_id, function: null, line: null, ...data,
    };
    if (entry.token) entry.token = '[REDACTED]';
  } else {
    entry = { ts: now, event, agent_id: config ? config.agent_id : 'unknown', ...data };
  }
  const line = JSON.stringify(entry) + '\n';
  if (config && config.log_file) {
    try {
      fs.appendFileSync(config.log_file, line);
    } catch (err) {
      console.error(`Failed to write to log file: ${err.message}`);
    }
  }
  if (structured) process.stdout.write(line);
  else console.log(`[${now}] ${event}`, Object.keys(data).length > 0 ? data : '');
}

// --- config and queue ----------------------------------------------------------

function loadConfig() {
  if (!fs.existsSync(CONFIG_PATH)) {
    console.error('ERROR: config.json not found.');
    process.exit(1);
  }
  let cfg;
  try {
    cfg = JSON.parse(fs.readFileSync(CONFIG_PATH, 'utf8'));
  } catch (err) {
    console.error(`ERROR: config.json is not valid JSON: ${err.message}`);
    process.exit(1);
  }
  for (const field of ['agent_id', 'token', 'hub_url']) {
    if (!cfg[field]) {
      console.error(`ERROR: config.json missing required field: ${field}`);
      process.exit(1);
    }
  }
  const defaults = {
    capabilities: [], confirmation_timeout_ms: 30000, results_dir: './results',
    log_file: './sidecar.log', log_format: 'phase-5', log_level: 'info',
    ping_interval_ms: 30000, pong_timeout_ms: 10000, reconnect_base_ms: 1000,
    reconnect_max_ms: 60000, wake_retry_delays_ms: [5000, 15000, 30000],
    stability_ms: 500, watch_poll_ms: 100,
  };
  for (const [key, value] of Object.entries(defaults)) cfg[key] = cfg[key] || value;
  cfg.omit_generation = Boolean(cfg.omit_generation);
  if (process.env.STANDIN_LOG_FORMAT) cfg.log_format = process.env.STANDIN_LOG_FORMAT;
  for (const key of ['log_file', 'results_dir']) {
    if (!path.isAbsolute(cfg[key])) cfg[key] = path.join(__dirname, cfg[key]);
  }
  return cfg;
}

function loadQueue() {
  try {
    return JSON.parse(fs.readFileSync(QUEUE_PATH, 'utf8'));
  } catch (err) {
    if (err.code !== 'ENOENT') log('queue_corrupt', { error: err.message });
    return { active: null, recovering: null };
  }
}

// Atomic: a temporary file in the same directory, then a rename.
function saveQueue() {
  const tmp = `${QUEUE_PATH}.${process.pid}.tmp`;
  const { active, recovering } = queue;
  const plain = (task) => {
    if (!task) return null;
    const { timer, ...rest } = task;
    return rest;
  };
  fs.writeFileSync(tmp, JSON.stringify({ active: plain(active), recovering: plain(recovering) }, null, 2));
  fs.renameSync(tmp, QUEUE_PATH);
}

// --- wake command --------------------------------------------------------------

function interpolate(command, task) {
  return command
    .split('${TASK_ID}').join(task.task_id)
    .split('${TASK_JSON}').join(JSON.stringify(task).replace(/"/g, '\\"'))
    .split('${TASK_DESCRIPTION}').join((task.description || '').replace(/"/g, '\\"'));
}

function run(command) {
  return new Promise((resolve, reject) => {
    exec(command, { timeout: 60000 }, (error, stdout, stderr) => {
      if (error) reject({ message: error.message, stderr });
      else resolve({ stdout });
    });
  });
}

async function wake(task, hub) {
  if (!config.wake_command) {
    log('wake_skipped', { task_id: task.task_id, reason: 'no wake_command configured' });
    task.status = 'working';
    saveQueue();
    return;
  }
  task.status = 'waking';
  saveQueue();
  const command = interpolate(config.wake_command, task);
  const delays = config.wake_retry_delays_ms;
  for (let attempt = 1; attempt <= delays.length + 1; attempt++) {
    task.wake_attempts = attempt;
    saveQueue();
    log('wake_attempt', { task_id: task.task_id, attempt, command });
    try {
      const result = await run(command);
      log('wake_success', { task_id: task.task_id, attempt, exit_code: 0, stdout: result.stdout.trim() });
      task.status = 'waking_confirmation';
      saveQueue();
      awaitConfirmation(task, hub);
      return;
    } catch (err) {
      log('wake_error', { task_id: task.task_id, attempt, error: err.message, stderr: err.stderr });
      if (attempt <= delays.length) {
        const delay = delays[attempt - 1];
        log('wake_retry', { task_id: task.task_id, attempt, next_attempt: attempt + 1, delay_ms: delay });
        await new Promise((resolve) => setTimeout(resolve, delay));
      } else {
        log('wake_failed', { task_id: task.task_id, attempts: attempt, error: err.message });
        task.status = 'failed';
        saveQueue();
        hub.sendFailed(task.task_id, 'wake_failed_after_3_attempts');
        queue.active = null;
        saveQueue();
      }
    }
  }
}

function awaitConfirmation(task, hub) {
  const timeout = config.confirmation_timeout_ms;
  log('confirmation_wait', { task_id: task.task_id, timeout_ms: timeout });
  task.timer = setTimeout(() => {
    const active = queue.active;
    if (!active || active.task_id !== task.task_id || active.status !== 'waking_confirmation') return;
    log('confirmation_timeout', { task_id: task.task_id, timeout_ms: timeout });
    task.status = 'failed';
    saveQueue();
    hub.sendFailed(task.task_id, 'confirmation_timeout');
    queue.active = null;
    saveQueue();
  }, timeout);
}

function onStarted(taskId) {
  const active = queue.active;
  if (!active || active.task_id !== taskId) {
    log('confirmation_ignored', { task_id: taskId, reason: 'not_active_task' });
    return;
  }
  if (active.status !== 'waking_confirmation') {
    log('confirmation_ignored', { task_id: taskId, reason: 'unexpected_status', status: active.status });
    return;
  }
  clearTimeout(active.timer);
  log('confirmation_received', { task_id: taskId });
  active.status = 'working';
  saveQueue();
}

function onResult(taskId, file, hub) {
  const active = queue.active;
  if (!active || active.task_id !== taskId) {
    log('result_ignored', { task_id: taskId, reason: 'not_active_task' });
    return;
  }
  let result;
  try {
    result = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    log('result_parse_error', { task_id: taskId, error: err.message, file });
    hub.sendFailed(taskId, 'result_parse_error: ' + err.message);
    queue.active = null;
    saveQueue();
    removeResultFiles(taskId);
    return;
  }
  if (result.status === 'success') {
    log('task_complete', { task_id: taskId, output: result.output });
    hub.sendComplete(taskId, result);
  } else {
    const reason = result.reason || result.error || 'unknown';
    log('task_failed', { task_id: taskId, reason });
    hub.sendFailed(taskId, reason);
  }
  clearTimeout(active.timer);
  queue.active = null;
  saveQueue();
  removeResultFiles(taskId);
}

function removeResultFiles(taskId) {
  for (const suffix of ['.json', '.started']) {
    const file = path.join(config.results_dir, taskId + suffix);
    try {
      if (fs.existsSync(file)) fs.unlinkSync(file);
    } catch (err) {
      log('cleanup_error', { file, error: err.message });
    }
  }
}

// --- results directory watcher ---------------------------------------------------
// Polls the directory. A file is reported once, as added, when its size and mtime have
// not changed for stability_ms; files present at start, and a file replaced while
// known, are not reported (the real sidecar reacts to "add" events only).

class ResultWatcher {
  constructor(dir, onAdd) {
    this.dir = dir;
    this.onAdd = onAdd;
    this.known = new Map(); // name -> { key, since, reported }
    fs.mkdirSync(dir, { recursive: true });
    for (const name of this.list()) this.known.set(name, { key: this.key(name), since: 0, reported: true });
    this.timer = setInterval(() => this.poll(), config.watch_poll_ms);
    log('result_watcher_started', { results_dir: dir });
  }

  list() {
    try {
      return fs.readdirSync(this.dir);
    } catch (_) {
      return [];
    }
  }

  key(name) {
    try {
      const stat = fs.statSync(path.join(this.dir, name));
      return `${stat.size}:${stat.mtimeMs}`;
    } catch (_) {
      return null;
    }
  }

  poll() {
    const names = new Set(this.list());
    for (const name of this.known.keys()) if (!names.has(name)) this.known.delete(name);
    const now = Date.now();
    const stable = [];
    for (const name of names) {
      const key = this.key(name);
      const seen = this.known.get(name);
      if (!seen) {
        this.known.set(name, { key, since: now, reported: false });
      } else if (!seen.reported) {
        if (key !== seen.key) {
          seen.key = key;
          seen.since = now;
        } else if (now - seen.since >= config.stability_ms) {
          stable.push([seen.since, name.endsWith('.started') ? 0 : 1, name]);
        }
      }
    }
    // Oldest first; a confirmation before a result that became stable with it.
    stable.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (const [, , name] of stable) {
      const seen = this.known.get(name);
      if (!seen || this.key(name) === null) continue; // removed meanwhile
      seen.reported = true;
      this.onAdd(path.join(this.dir, name));
    }
  }

  close() {
    clearInterval(this.timer);
  }
}

function watchResults(hub) {
  return new ResultWatcher(config.results_dir, (file) => {
    const name = path.basename(file);
    if (name.endsWith('.started')) {
      const taskId = name.slice(0, -'.started'.length);
      log('result_watcher_started_file', { task_id: taskId, file });
      onStarted(taskId);
    } else if (name.endsWith('.json')) {
      const taskId = name.slice(0, -'.json'.length);
      log('result_watcher_result_file', { task_id: taskId, file });
      onResult(taskId, file, hub);
    } else {
      log('result_watcher_unknown_file', { file });
    }
  });
}

// --- the hub connection ----------------------------------------------------------

class Hub {
  constructor() {
    this.ws = null;
    this.delay = config.reconnect_base_ms;
    this.reconnectTimer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    this.lastPong = null;
    this.closing = false;
    this.generations = new Map();
  }

  connect() {
    if (this.closing) return;
    log('ws_connecting', { hub_url: config.hub_url });
    try {
      this.ws = new WebSocket(config.hub_url);
    } catch (err) {
      log('ws_connect_error', { error: err.message });
      this.scheduleReconnect();
      return;
    }
    this.ws.on('open', () => {
      log('ws_open');
      this.delay = config.reconnect_base_ms;
      this.identify();
      this.startPings();
    });
    this.ws.on('close', (code, reason) => {
      log('ws_close', { code, reason: reason ? reason.toString() : '' });
      this.stopPings();
      this.scheduleReconnect();
    });
    this.ws.on('error', (err) => log('ws_error', { error: err.message }));
    this.ws.on('message', (data) => {
      let msg;
      try {
        msg = JSON.parse(data.toString());
      } catch (err) {
        log('ws_message_parse_error', { error: err.message });
        return;
      }
      this.handle(msg);
    });
  }

  scheduleReconnect() {
    if (this.closing) return;
    const delay = this.delay;
    this.delay = Math.min(this.delay * 2, config.reconnect_max_ms);
    log('reconnect_scheduled', { delay_ms: delay, next_delay_ms: this.delay });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  send(message) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
      log('send_failed', { reason: 'not_connected', type: message.type });
      return false;
    }
    try {
      this.ws.send(JSON.stringify({ ...message, protocol_version: 1 }));
      return true;
    } catch (err) {
      log('send_error', { error: err.message, type: message.type });
      return false;
    }
  }

  identify() {
    this.send({
      type: 'identify', agent_id: config.agent_id, token: config.token, name: config.agent_id,
      status: 'idle', capabilities: config.capabilities, client_type: 'sidecar',
      protocol_version: 1,
    });
    log('identify_sent');
  }

  handle(msg) {
    switch (msg.type) {
      case 'identified':
        this.delay = config.reconnect_base_ms;
        log('identified', { agent_id: msg.agent_id });
        this.reportRecovery();
        break;
      case 'error':
        log('hub_error', { error: msg.error });
        break;
      case 'pong':
        this.lastPong = Date.now();
        break;
      case 'task_assign':
        this.onAssign(msg);
        break;
      case 'task_ack':
        log('task_ack', { task_id: msg.task_id });
        break;
      case 'task_reassign':
        this.onReassign(msg);
        break;
      case 'task_continue':
        this.onContinue(msg);
        break;
      default:
        log('unhandled_message', { type: msg.type });
    }
  }

  report(type, taskId, fields) {
    const message = { type, task_id: taskId, ...fields };
    if (!config.omit_generation) message.generation = this.generations.get(taskId) || 0;
    this.generations.delete(taskId);
    return this.send(message);
  }

  sendComplete(taskId, result) {
    return this.report('task_complete', taskId, { result });
  }

  sendFailed(taskId, reason) {
    return this.report('task_failed', taskId, { reason });
  }

  onAssign(msg) {
    if (queue.active !== null) {
      log('task_rejected', { task_id: msg.task_id, reason: 'busy', active_task_id: queue.active.task_id });
      this.send({ type: 'task_rejected', task_id: msg.task_id, reason: 'busy' });
      return;
    }
    if (msg.generation !== undefined) this.generations.set(msg.task_id, msg.generation);
    const task = {
      task_id: msg.task_id, description: msg.description, metadata: msg.metadata || {},
      status: 'accepted', assigned_at: msg.assigned_at || Date.now(),
      generation: msg.generation || 0, wake_attempts: 0,
    };
    queue.active = task;
    saveQueue(); // persisted before it is accepted
    this.send({ type: 'task_accepted', task_id: msg.task_id });
    log('task_received', { task_id: msg.task_id, description: msg.description });
    wake(task, this);
  }

  reportRecovery() {
    const task = queue.recovering;
    if (!task) return;
    log('recovery_reporting', { task_id: task.task_id, last_status: task.status });
    this.send({
      type: 'task_recovering', task_id: task.task_id, description: task.description,
      metadata: task.metadata, last_status: task.status, protocol_version: 1,
    });
    log('recovery_reported', { task_id: task.task_id });
  }

  onReassign(msg) {
    log('recovery_reassigned', { task_id: msg.task_id });
    this.generations.delete(msg.task_id);
    if (queue.recovering && queue.recovering.task_id === msg.task_id) {
      queue.recovering = null;
      saveQueue();
    } else {
      log('recovery_reassign_ignored', { task_id: msg.task_id, reason: 'not_recovering_task' });
    }
  }

  onContinue(msg) {
    log('recovery_continued', { task_id: msg.task_id });
    if (msg.generation !== undefined) this.generations.set(msg.task_id, msg.generation);
    if (queue.recovering && queue.recovering.task_id === msg.task_id) {
      queue.active = queue.recovering;
      queue.recovering = null;
      saveQueue();
    } else {
      log('recovery_continue_ignored', { task_id: msg.task_id, reason: 'not_recovering_task' });
    }
  }

  startPings() {
    this.stopPings();
    this.pingTimer = setInterval(() => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
      this.send({ type: 'ping' });
      const sent = Date.now();
      this.pongTimer = setTimeout(() => {
        if (this.lastPong && this.lastPong >= sent) return;
        log('heartbeat_timeout', { last_pong: this.lastPong, ping_sent: sent });
        try {
          this.ws.terminate();
        } catch (_) {
          // already gone
        }
      }, config.pong_timeout_ms);
    }, config.ping_interval_ms);
  }

  stopPings() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.pingTimer = this.pongTimer = null;
  }

  shutdown() {
    this.closing = true;
    clearTimeout(this.reconnectTimer);
    this.stopPings();
    if (this.ws) {
      try {
        this.ws.close(1000, 'shutdown');
      } catch (_) {
        // closing anyway
      }
    }
  }
}

// --- main ----------------------------------------------------------------------

function main() {
  config = loadConfig();
  log('startup', {
    agent_id: config.agent_id, hub_url: config.hub_url, capabilities: config.capabilities,
    version: '1.0.0',
  });
  queue = loadQueue();
  if (queue.active) {
    log('recovery_found', { task_id: queue.active.task_id, status: queue.active.status });
    queue.recovering = queue.active;
    queue.active = null;
    saveQueue();
  }
  const hub = new Hub();
  hub.connect();
  const watcher = watchResults(hub);
  const shutdown = (signal) => {
    log('shutdown', { signal });
    watcher.close();
    saveQueue();
    hub.shutdown();
    setTimeout(() => process.exit(0), 500);
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  log('ready', { agent_id: config.agent_id });
}

main();
