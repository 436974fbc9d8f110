'use strict';
// Minimal RFC 6455 WebSocket client over net/tls + crypto: text frames, ping/pong,
// close, fragmentation. Enough for the AgentCom wire protocol; no npm dependency.

const crypto = require('crypto');
const net = require('net');
const tls = require('tls');
const { EventEmitter } = require('events');

const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OP_CONT = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

function encodeFrame(opcode, payload) {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload || '', 'utf8');
  const mask = crypto.randomBytes(4);
  let header;
  if (body.length < 126) {
    header = Buffer.alloc(2);
    header[1] = 0x80 | body.length;
  } else if (body.length < 65536) {
    header = Buffer.alloc(4);
    header[1] = 0x80 | 126;
    header.writeUInt16BE(body.length, 2);
  } else {
    header = Buffer.alloc(10);
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(body.length), 2);
  }
  header[0] = 0x80 | opcode;
  const masked = Buffer.alloc(body.length);
  for (let i = 0; i < body.length; i++) masked[i] = body[i] ^ mask[i % 4];
  return Buffer.concat([header, mask, masked]);
}

class WsClient extends EventEmitter {
  /** Connect to ws://host:port/path (or wss://). Emits open, message, close, error. */
  constructor(url, { handshakeTimeoutMs = 10000 } = {}) {
    super();
    this.url = new URL(url);
    this.state = 'connecting';
    this._buffer = Buffer.alloc(0);
    this._fragments = [];
    this._fragmentOpcode = null;
    this._closeEmitted = false;
    this._key = crypto.randomBytes(16).toString('base64');
    const secure = this.url.protocol === 'wss:';
    const port = Number(this.url.port) || (secure ? 443 : 80);
    const options = { host: this.url.hostname, port, servername: this.url.hostname };
    this._socket = secure ? tls.connect(options) : net.connect(options);
    this._socket.setNoDelay(true);
    this._handshakeTimer = setTimeout(() => {
      this._fail(new Error(`handshake timed out after ${handshakeTimeoutMs} ms`));
    }, handshakeTimeoutMs);
    this._socket.once(secure ? 'secureConnect' : 'connect', () => this._sendHandshake());
    this._socket.on('data', (chunk) => this._onData(chunk));
    this._socket.on('error', (err) => this._fail(err));
    this._socket.on('close', () => this._emitClose(1006, 'connection lost'));
  }

  _sendHandshake() {
    const path = (this.url.pathname || '/') + (this.url.search || '');
    const lines = [
      `GET ${path} HTTP/1.1`,
      `Host: ${this.url.host}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${this._key}`,
      'Sec-WebSocket-Version: 13',
      '',
      '',
    ];
    this._socket.write(lines.join('\r\n'));
  }

  _onData(chunk) {
    this._buffer = Buffer.concat([this._buffer, chunk]);
    if (this.state === 'connecting') {
      const end = this._buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this._buffer.subarray(0, end).toString('latin1');
      this._buffer = this._buffer.subarray(end + 4);
      if (!this._checkHandshake(head)) return;
      clearTimeout(this._handshakeTimer);
      this.state = 'open';
      this.emit('open');
    }
    this._parseFrames();
  }

  _checkHandshake(head) {
    const [statusLine, ...headerLines] = head.split('\r\n');
    if (!/^HTTP\/1\.1 101/.test(statusLine)) {
      this._fail(new Error(`unexpected handshake response: ${statusLine}`));
      return false;
    }
    const headers = {};
    for (const line of headerLines) {
      const idx = line.indexOf(':');
      if (idx > 0) headers[line.slice(0, idx).trim().toLowerCase()] = line.slice(idx + 1).trim();
    }
    const expected = crypto.createHash('sha1').update(this._key + ACCEPT_GUID).digest('base64');
    if (headers['sec-websocket-accept'] !== expected) {
      this._fail(new Error('handshake failed: bad Sec-WebSocket-Accept'));
      return false;
    }
    return true;
  }

  _parseFrames() {
    while (this.state === 'open' || this.state === 'closing') {
      const buf = this._buffer;
      if (buf.length < 2) return;
      const fin = (buf[0] & 0x80) !== 0;
      const opcode = buf[0] & 0x0f;
      const masked = (buf[1] & 0x80) !== 0;
      let length = buf[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buf.length < 4) return;
        length = buf.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buf.length < 10) return;
        length = Number(buf.readBigUInt64BE(2));
        offset = 10;
      }
      const maskLen = masked ? 4 : 0;
      if (buf.length < offset + maskLen + length) return;
      let payload = buf.subarray(offset + maskLen, offset + maskLen + length);
      if (masked) {
        const mask = buf.subarray(offset, offset + 4);
        payload = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
      }
      this._buffer = buf.subarray(offset + maskLen + length);
      this._handleFrame(fin, opcode, Buffer.from(payload));
    }
  }

  _handleFrame(fin, opcode, payload) {
    if (opcode === OP_PING) {
      this._write(OP_PONG, payload);
    } else if (opcode === OP_PONG) {
      this.emit('pong');
    } else if (opcode === OP_CLOSE) {
      const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      const reason = payload.length > 2 ? payload.subarray(2).toString('utf8') : '';
      if (this.state === 'open') this._write(OP_CLOSE, payload.subarray(0, 2));
      this.state = 'closed';
      this._socket.end();
      this._emitClose(code, reason);
    } else if (opcode === OP_TEXT || opcode === OP_BINARY || opcode === OP_CONT) {
      if (opcode !== OP_CONT) {
        this._fragmentOpcode = opcode;
        this._fragments = [];
      }
      this._fragments.push(payload);
      if (fin) {
        const data = Buffer.concat(this._fragments);
        this._fragments = [];
        this.emit('message', this._fragmentOpcode === OP_TEXT ? data.toString('utf8') : data);
      }
    }
  }

  _write(opcode, payload) {
    if (this._socket.destroyed || !this._socket.writable) return false;
    this._socket.write(encodeFrame(opcode, payload));
    return true;
  }

  /** Send one text frame. Returns false when the connection is not open. */
  send(text) {
    if (this.state !== 'open') return false;
    return this._write(OP_TEXT, text);
  }

  /** Clean close: close frame, then wait for the server to close. */
  close(code = 1000, reason = '') {
    if (this.state !== 'open') return;
    const body = Buffer.alloc(2 + Buffer.byteLength(reason));
    body.writeUInt16BE(code, 0);
    body.write(reason, 2);
    this._write(OP_CLOSE, body);
    this.state = 'closing';
    setTimeout(() => this.terminate(), 2000).unref();
  }

  /** Drop the TCP connection without a close frame. */
  terminate() {
    this._socket.destroy();
    this._emitClose(1006, 'terminated');
  }

  _fail(err) {
    clearTimeout(this._handshakeTimer);
    if (!this._closeEmitted) this.emit('error', err);
    this._socket.destroy();
    this._emitClose(1006, err.message);
  }

  _emitClose(code, reason) {
    clearTimeout(this._handshakeTimer);
    if (this._closeEmitted) return;
    this._closeEmitted = true;
    this.state = 'closed';
    this.emit('close', code, reason);
  }
}

module.exports = { WsClient };
