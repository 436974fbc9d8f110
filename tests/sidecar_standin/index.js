'use strict';
// Stand-in for the AgentCom production sidecar: same config.json / queue.json /
// results-file contract, same wire messages, one JSON log line per event.
// Test-only extras (config keys the real sidecar ignores): omit_generation
// (or env STANDIN_OMIT_GENERATION=1), ping_interval_ms, pong_timeout_ms,
// reconnect_base_ms, reconnect_max_ms, wake_retry_delays_ms, log_level.

const fs = require('fs');
const path = require('path');
const { exec } = require('child_process');
const { WsClient } = require('./lib/ws-client');

const CONFIG_PATH = path.join(__dirname, 'config.json');
const QUEUE_PATH = path.join(__dirname, 'queue.json');
const LEVELS = { debug: 10, info: 20, warning: 40, error: 50 };
const POLL_MS = 100;

let config = null;
let logLevel = LEVELS.info;
let queue = { active: null, recovering: null };

// --- logging -------------------------------------------------------------------

function log(severity, event, data = {}) {
  if ((LEVELS[severity] || LEVELS.info) < logLevel) return;
  const entry = {
    time: new Date().toISOString(),
    severity,
    message: event,
    client: 'sidecar-standin',
    pid: process.pid,
    agent_id: config ? config.agent_id : 'unknown',
    ...data,
  };
  if (entry.token) entry.token = '[REDACTED]';
  const line = JSON.stringify(entry) + '\n';
  process.stdout.write(line);
  if (config && config.log_file) {
    // Synchronous append: a SIGKILLed stand-in keeps every line it logged.
    try {
      fs.appendFileSync(config.log_file, line);
    } catch (_) {
      // the log directory may be gone during teardown
    }
  }
}

// --- config and queue ----------------------------------------------------------

function loadConfig() {
  if (!fs.existsSync(CONFIG_PATH)) {
    log('error', 'config_not_found', { path: CONFIG_PATH });
    process.exit(1);
  }
  let cfg;
  try {
    cfg = JSON.parse(fs.readFileSync(CONFIG_PATH, 'utf8'));
  } catch (err) {
    log('error', 'config_invalid', { path: CONFIG_PATH, error: err.message });
    process.exit(1);
  }
  for (const field of ['agent_id', 'token', 'hub_url']) {
    if (!cfg[field]) {
      log('error', 'config_missing_field', { field });
      process.exit(1);
    }
  }
  cfg.capabilities = cfg.capabilities || [];
  cfg.confirmation_timeout_ms = cfg.confirmation_timeout_ms || 30000;
  cfg.results_dir = cfg.results_dir || './results';
  cfg.log_file = cfg.log_file || './sidecar.log';
  cfg.ping_interval_ms = cfg.ping_interval_ms || 30000;
  cfg.pong_timeout_ms = cfg.pong_timeout_ms || 10000;
  cfg.reconnect_base_ms = cfg.reconnect_base_ms || 1000;
  cfg.reconnect_max_ms = cfg.reconnect_max_ms || 60000;
  cfg.wake_retry_delays_ms = cfg.wake_retry_delays_ms || [5000, 15000, 30000];
  cfg.omit_generation = Boolean(cfg.omit_generation) || process.env.STANDIN_OMIT_GENERATION === '1';
  for (const key of ['results_dir', 'log_file']) {
    if (!path.isAbsolute(cfg[key])) cfg[key] = path.join(__dirname, cfg[key]);
  }
  return cfg;
}

function loadQueue() {
  try {
    const data = JSON.parse(fs.readFileSync(QUEUE_PATH, 'utf8'));
    return { active: data.active || null, recovering: data.recovering || null };
  } catch (_) {
    return { active: null, recovering: null };
  }
}

function saveQueue() {
  const tmp = `${QUEUE_PATH}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(queue, null, 2));
  fs.renameSync(tmp, QUEUE_PATH);
}

function resultPaths(taskId) {
  return {
    started: path.join(config.results_dir, `${taskId}.started`),
    result: path.join(config.results_dir, `${taskId}.json`),
  };
}

function cleanupResultFiles(taskId) {
  const files = resultPaths(taskId);
  for (const file of [files.started, files.result]) {
    try {
      fs.unlinkSync(file);
    } catch (_) {
      // already gone
    }
  }
}

// --- wake command and result files --------------------------------------------

function interpolate(command, task) {
  // Same substitutions as the production sidecar; double quotes are escaped for
  // use inside a double-quoted shell word.
  return command
    .replace(/\$\{TASK_ID\}/g, task.task_id || '')
    .replace(/\$\{TASK_JSON\}/g, JSON.stringify(task).replace(/"/g, '\\"'))
    .replace(/\$\{TASK_DESCRIPTION\}/g, (task.description || '').replace(/"/g, '\\"'));
}

function runCommand(command) {
  return new Promise((resolve, reject) => {
    exec(command, { timeout: 60000, shell: true, cwd: __dirname }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stderr }));
      else resolve({ stdout, stderr });
    });
  });
}

function isActive(task) {
  return queue.active !== null && queue.active.task_id === task.task_id && queue.active === task;
}

async function wake(task, hub) {
  if (!config.wake_command) {
    log('info', 'wake_skipped', { task_id: task.task_id, reason: 'no wake_command configured' });
    task.status = 'working';
    saveQueue();
    watchResult(task, hub);
    return;
  }
  task.status = 'waking';
  saveQueue();
  const command = interpolate(config.wake_command, task);
  const delays = config.wake_retry_delays_ms;
  for (let attempt = 1; attempt <= delays.length + 1; attempt++) {
    task.wake_attempts = attempt;
    saveQueue();
    log('info', 'wake_attempt', { task_id: task.task_id, attempt });
    try {
      const out = await runCommand(command);
      if (!isActive(task)) return;
      log('info', 'wake_success', { task_id: task.task_id, attempt, stdout: out.stdout.trim() });
      task.status = 'waking_confirmation';
      saveQueue();
      waitForConfirmation(task, hub);
      return;
    } catch (err) {
      log('error', 'wake_error', {
        task_id: task.task_id,
        attempt,
        error: err.message,
        stderr: (err.stderr || '').trim(),
      });
      if (!isActive(task)) return;
      if (attempt <= delays.length) {
        await new Promise((resolve) => setTimeout(resolve, delays[attempt - 1]));
        if (!isActive(task)) return;
      } else {
        log('error', 'wake_failed', { task_id: task.task_id, attempts: attempt });
        finishTask(task, hub, { failed: 'wake_failed_after_3_attempts' });
        return;
      }
    }
  }
}

function waitForConfirmation(task, hub) {
  const files = resultPaths(task.task_id);
  const deadline = Date.now() + config.confirmation_timeout_ms;
  log('info', 'confirmation_wait', {
    task_id: task.task_id,
    timeout_ms: config.confirmation_timeout_ms,
  });
  const timer = setInterval(() => {
    if (!isActive(task)) {
      clearInterval(timer);
      return;
    }
    if (fs.existsSync(files.started) || fs.existsSync(files.result)) {
      clearInterval(timer);
      log('info', 'confirmation_received', { task_id: task.task_id });
      task.status = 'working';
      saveQueue();
      watchResult(task, hub);
    } else if (Date.now() >= deadline) {
      clearInterval(timer);
      log('warning', 'confirmation_timeout', {
        task_id: task.task_id,
        timeout_ms: config.confirmation_timeout_ms,
      });
      finishTask(task, hub, { failed: 'confirmation_timeout' });
    }
  }, POLL_MS);
}

function watchResult(task, hub) {
  const files = resultPaths(task.task_id);
  let parseErrors = 0;
  const timer = setInterval(() => {
    if (!isActive(task)) {
      clearInterval(timer);
      return;
    }
    if (!fs.existsSync(files.result)) return;
    let result;
    try {
      result = JSON.parse(fs.readFileSync(files.result, 'utf8'));
    } catch (err) {
      parseErrors += 1;
      if (parseErrors < 10) return; // a writer that is not atomic may still be busy
      clearInterval(timer);
      log('error', 'result_parse_error', { task_id: task.task_id, error: err.message });
      finishTask(task, hub, { failed: `result_parse_error: ${err.message}` });
      return;
    }
    clearInterval(timer);
    if (result && result.status === 'success') {
      log('info', 'task_complete', { task_id: task.task_id, output: result.output });
      finishTask(task, hub, { result });
    } else {
      const reason = (result && (result.reason || result.error)) || 'unknown';
      log('warning', 'task_failed', { task_id: task.task_id, reason });
      finishTask(task, hub, { failed: reason });
    }
  }, POLL_MS);
}

function finishTask(task, hub, outcome) {
  if (outcome.result !== undefined) hub.sendTaskComplete(task, outcome.result);
  else hub.sendTaskFailed(task, outcome.failed);
  if (queue.active === task) queue.active = null;
  saveQueue();
  cleanupResultFiles(task.task_id);
}

// --- hub connection ------------------------------------------------------------

class HubConnection {
  constructor() {
    this.ws = null;
    this.identified = false;
    this.reconnectDelay = config.reconnect_base_ms;
    this.reconnectTimer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    this.shuttingDown = false;
    this.pendingReports = new Map(); // task_id -> 'task_complete' | 'task_failed'
  }

  connect() {
    if (this.shuttingDown) return;
    log('info', 'ws_connecting', { hub_url: config.hub_url });
    let ws;
    try {
      ws = new WsClient(config.hub_url);
    } catch (err) {
      log('error', 'ws_connect_error', { error: err.message });
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.on('open', () => {
      log('info', 'ws_open');
      this.identify();
      this.startHeartbeat();
    });
    ws.on('error', (err) => log('error', 'ws_error', { error: err.message }));
    ws.on('pong', () => {});
    ws.on('close', (code, reason) => {
      if (this.ws !== ws) return;
      log('warning', 'ws_close', { code, reason });
      this.identified = false;
      this.pendingReports.clear();
      this.stopHeartbeat();
      this.scheduleReconnect();
    });
    ws.on('message', (text) => {
      let msg;
      try {
        msg = JSON.parse(text);
      } catch (err) {
        log('error', 'ws_message_parse_error', { error: err.message });
        return;
      }
      this.handleMessage(msg);
    });
  }

  scheduleReconnect() {
    if (this.shuttingDown) return;
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(delay * 2, config.reconnect_max_ms);
    log('info', 'reconnect_scheduled', { delay_ms: delay, next_delay_ms: this.reconnectDelay });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  send(obj) {
    const payload = { ...obj, protocol_version: 1 };
    if (!this.ws || !this.ws.send(JSON.stringify(payload))) {
      log('warning', 'send_failed', { reason: 'not_connected', type: obj.type, task_id: obj.task_id });
      return false;
    }
    return true;
  }

  identify() {
    this.send({
      type: 'identify',
      agent_id: config.agent_id,
      token: config.token,
      name: config.agent_id, // as the production sidecar does
      status: 'idle',
      capabilities: config.capabilities,
      client_type: 'sidecar',
    });
    log('info', 'identify_sent', { capabilities: config.capabilities });
  }

  handleMessage(msg) {
    switch (msg.type) {
      case 'identified':
        this.identified = true;
        this.reconnectDelay = config.reconnect_base_ms;
        log('info', 'identified', { agent_id: msg.agent_id });
        this.reportRecovery();
        break;
      case 'error':
        this.handleError(msg);
        break;
      case 'pong':
        log('debug', 'pong', { timestamp: msg.timestamp });
        if (this.pongTimer) clearTimeout(this.pongTimer);
        this.pongTimer = null;
        break;
      case 'task_assign':
        this.handleTaskAssign(msg);
        break;
      case 'task_ack':
        this.handleAck(msg);
        break;
      case 'task_reassign':
        this.handleTaskReassign(msg);
        break;
      case 'task_continue':
        this.handleTaskContinue(msg);
        break;
      default:
        log('debug', 'unhandled_message', { type: msg.type });
    }
  }

  handleError(msg) {
    const error = String(msg.error || '');
    // Replies come in order on one connection: a report error belongs to the
    // oldest report still waiting for its answer.
    const kind = error.startsWith('task_complete_failed')
      ? 'task_complete'
      : error.startsWith('task_fail_failed')
        ? 'task_failed'
        : null;
    let taskId = null;
    if (kind) {
      for (const [id, sent] of this.pendingReports) {
        if (sent === kind) {
          taskId = id;
          this.pendingReports.delete(id);
          break;
        }
      }
    }
    log('error', 'hub_error', { error, task_id: taskId });
    if (taskId && kind === 'task_complete') {
      log('warning', 'completion_rejected', { task_id: taskId, error });
    }
  }

  handleAck(msg) {
    log('info', 'task_ack', { task_id: msg.task_id, status: msg.status });
    if (msg.status === 'accepted') return;
    const sent = this.pendingReports.get(msg.task_id);
    this.pendingReports.delete(msg.task_id);
    if (msg.status === 'complete' && sent === 'task_complete') {
      log('info', 'completion_acknowledged', { task_id: msg.task_id });
    }
  }

  reportGeneration(task, extra) {
    const msg = { ...extra };
    if (!config.omit_generation) msg.generation = task.generation;
    return msg;
  }

  sendTaskComplete(task, result) {
    const msg = this.reportGeneration(task, { type: 'task_complete', task_id: task.task_id, result });
    if (this.send(msg)) this.pendingReports.set(task.task_id, 'task_complete');
    log('info', 'task_complete_sent', {
      task_id: task.task_id,
      generation: msg.generation === undefined ? null : msg.generation,
    });
  }

  sendTaskFailed(task, reason) {
    const msg = this.reportGeneration(task, { type: 'task_failed', task_id: task.task_id, reason });
    if (this.send(msg)) this.pendingReports.set(task.task_id, 'task_failed');
    log('info', 'task_failed_sent', {
      task_id: task.task_id,
      reason,
      generation: msg.generation === undefined ? null : msg.generation,
    });
  }

  handleTaskAssign(msg) {
    if (queue.active !== null) {
      log('warning', 'task_rejected', {
        task_id: msg.task_id,
        reason: 'busy',
        active_task_id: queue.active.task_id,
      });
      this.send({ type: 'task_rejected', task_id: msg.task_id, reason: 'busy' });
      return;
    }
    const task = {
      task_id: msg.task_id,
      description: msg.description,
      metadata: msg.metadata || {},
      status: 'accepted',
      assigned_at: msg.assigned_at || Date.now(),
      generation: msg.generation || 0,
      wake_attempts: 0,
    };
    queue.active = task;
    saveQueue(); // persist before acknowledging
    this.send({ type: 'task_accepted', task_id: msg.task_id });
    log('info', 'task_received', {
      task_id: msg.task_id,
      generation: task.generation,
      description: msg.description,
    });
    wake(task, this);
  }

  reportRecovery() {
    if (!queue.recovering) return;
    const task = queue.recovering;
    log('info', 'recovery_reporting', { task_id: task.task_id, last_status: task.status });
    this.send({
      type: 'task_recovering',
      task_id: task.task_id,
      description: task.description,
      metadata: task.metadata,
      last_status: task.status,
    });
    log('info', 'recovery_reported', { task_id: task.task_id });
  }

  handleTaskReassign(msg) {
    log('info', 'recovery_reassigned', { task_id: msg.task_id });
    if (queue.recovering && queue.recovering.task_id === msg.task_id) {
      queue.recovering = null;
      saveQueue();
    } else {
      log('debug', 'recovery_reassign_ignored', { task_id: msg.task_id });
    }
  }

  handleTaskContinue(msg) {
    log('info', 'recovery_continued', { task_id: msg.task_id, generation: msg.generation });
    if (!queue.recovering || queue.recovering.task_id !== msg.task_id) {
      log('debug', 'recovery_continue_ignored', { task_id: msg.task_id });
      return;
    }
    const task = queue.recovering;
    queue.recovering = null;
    if (msg.generation !== undefined) task.generation = msg.generation;
    if (queue.active && queue.active.task_id === task.task_id) {
      // The hub assigned it again before answering: keep the running attempt.
      queue.active.generation = task.generation;
      saveQueue();
      return;
    }
    if (queue.active) {
      log('warning', 'recovery_replaces_active', {
        task_id: task.task_id,
        replaced_task_id: queue.active.task_id,
      });
    }
    // Like the production sidecar: resume waiting for the result, no new wake.
    queue.active = task;
    task.status = 'working';
    saveQueue();
    watchResult(task, this);
  }

  startHeartbeat() {
    this.stopHeartbeat();
    this.pingTimer = setInterval(() => {
      if (!this.ws || this.ws.state !== 'open') return;
      this.send({ type: 'ping' });
      log('debug', 'ping_sent');
      if (this.pongTimer) return;
      this.pongTimer = setTimeout(() => {
        this.pongTimer = null;
        log('warning', 'heartbeat_timeout', { timeout_ms: config.pong_timeout_ms });
        if (this.ws) this.ws.terminate();
      }, config.pong_timeout_ms);
    }, config.ping_interval_ms);
  }

  stopHeartbeat() {
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.pingTimer = null;
    this.pongTimer = null;
  }

  shutdown() {
    this.shuttingDown = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.stopHeartbeat();
    if (this.ws) this.ws.close(1000, 'shutdown');
  }
}

// --- main ----------------------------------------------------------------------

function main() {
  config = loadConfig();
  if (config.log_level && LEVELS[config.log_level] !== undefined) {
    logLevel = LEVELS[config.log_level];
  }
  log('info', 'startup', {
    agent_id: config.agent_id,
    hub_url: config.hub_url,
    capabilities: config.capabilities,
    omit_generation: config.omit_generation,
  });
  fs.mkdirSync(config.results_dir, { recursive: true });
  queue = loadQueue();
  if (queue.active) {
    log('warning', 'recovery_found', { task_id: queue.active.task_id, status: queue.active.status });
    queue.recovering = queue.active;
    queue.active = null;
    saveQueue();
  }
  const hub = new HubConnection();
  hub.connect();
  const shutdown = (signal) => {
    log('info', 'shutdown', { signal });
    saveQueue();
    hub.shutdown();
    setTimeout(() => process.exit(0), 500);
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  log('info', 'ready', { agent_id: config.agent_id });
}

process.on('uncaughtException', (err) => {
  log('error', 'uncaught_exception', { error: err.message, stack: err.stack });
  process.exit(1);
});

main();
