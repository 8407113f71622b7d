// Confines a process that runs third-party code to 127.0.0.1: a server binds loopback only, and an
// outgoing connection to any other address throws before any lookup or packet (a fetch rejects).
import net from 'node:net';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function loopbackConnect(...args) {
  const first = args[0];
  const options = Array.isArray(first) ? first[0] : first;
  const host =
    typeof options === 'object' && options !== null
      ? (options.host ?? (options.path ? 'ipc' : 'localhost'))
      : typeof args[1] === 'string'
        ? args[1]
        : 'localhost';
  if (host !== 'ipc' && !LOOPBACK.has(host)) {
    throw new Error(`bench: refused an outgoing connection to ${host} (loopback only)`);
  }
  return connect.apply(this, args);
};

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function loopbackListen(...args) {
  if (typeof args[0] === 'number') {
    const port = args[0];
    const callback = args.find((a) => typeof a === 'function');
    return listen.call(this, port, '127.0.0.1', callback);
  }
  if (typeof args[0] === 'object' && args[0] !== null && args[0].port !== undefined) {
    return listen.call(this, { ...args[0], host: '127.0.0.1' }, ...args.slice(1));
  }
  return listen.apply(this, args);
};
