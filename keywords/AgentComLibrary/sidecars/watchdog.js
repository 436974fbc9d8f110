'use strict';
// Preloaded by AgentComLibrary with `node --require`; not part of the sidecar.
// Ends the sidecar's whole process group when the test runner that started it
// (AGENTCOM_PARENT_PID) is gone, so a killed test run leaves no node process behind.
const parent = Number(process.env.AGENTCOM_PARENT_PID || 0);
if (parent > 0) {
  setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch (err) {
      if (err.code !== 'ESRCH') return;
      try { process.kill(-process.pid, 'SIGKILL'); } catch (_) { /* not a group leader */ }
      process.exit(1);
    }
  }, 1000).unref();
}
