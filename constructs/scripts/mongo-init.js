var CODES = { UNAUTHORIZED: 13, ALREADY_INITIALIZED: 23, NOT_YET_INITIALIZED: 94, USER_ALREADY_EXISTS: 51003 };

// The ordinal of a StatefulSet pod from its name (mongo-2 -> 2), or -1.
function ordinalOf(podName) {
  var m = /-(\d+)$/.exec(String(podName || ''));
  return m ? Number(m[1]) : -1;
}

// Runs one admin command on a fresh connection. Failures come back as a reply
// { ok: 0, code, codeName, errmsg } whether the shell throws them (mongosh) or returns them;
// a failure without a code means the server could not be reached.
function adminCommand(io, uri, cmd) {
  return dbCommand(io, uri, 'admin', cmd);
}

function dbCommand(io, uri, db, cmd) {
  var conn = null;
  try {
    conn = io.connect(uri);
    var reply = conn.getDB(db).runCommand(cmd);
    return reply && typeof reply === 'object' ? reply : { ok: 0, errmsg: 'no reply' };
  } catch (e) {
    return { ok: 0, code: e && e.code, codeName: e && e.codeName, errmsg: String((e && e.message) || e) };
  } finally {
    if (conn !== null) {
      try { conn.close(); } catch (ignored) { /* already closed */ }
    }
  }
}

// What rs.status() says about this member.
function classifyStatus(reply) {
  if (reply.ok === 1) return 'initiated';
  if (reply.code === CODES.NOT_YET_INITIALIZED) return 'not-initiated';
  if (reply.code === CODES.UNAUTHORIZED) return 'secured';
  if (reply.code === undefined || reply.code === null) return 'unreachable';
  return 'error';
}

// The rs.initiate() document: every member by its stable DNS name, _id = ordinal.
function initiateConfig(config) {
  var members = [];
  for (var i = 0; i < config.hosts.length; i++) members.push({ _id: i, host: config.hosts[i] });
  return { _id: config.setName, members: members };
}

// The decision, from an observed state; pure.
//   state.ordinal            this member's ordinal
//   state.status             classifyStatus(rs.status())
//   state.detail             the error of rs.status(), if any
//   state.isWritablePrimary  from hello, when the set answers
//   state.peers              [{ host, up, setName }] for the other members (member 0, not initiated)
// Returns { action: 'done' | 'wait' | 'initiate' | 'create-admin', reason }.
function decide(state) {
  switch (state.status) {
    case 'secured':
      return { action: 'done', reason: 'rs.status() requires authentication: the admin user exists, so the set was initiated; nothing to initiate' };
    case 'unreachable':
      return { action: 'wait', reason: 'mongod does not answer yet' };
    case 'initiated':
      if (state.isWritablePrimary) return { action: 'create-admin', reason: 'this member is primary and no user exists yet' };
      return { action: 'wait', reason: 'the set answers; waiting for a primary to create the admin user' };
    case 'not-initiated': {
      if (state.ordinal !== 0) return { action: 'wait', reason: 'not initiated: member 0 initiates the set; a member the set does not list yet joins with rs.add() on the primary' };
      var peers = state.peers || [];
      for (var i = 0; i < peers.length; i++) {
        if (peers[i].setName) {
          return { action: 'wait', reason: peers[i].host + ' already belongs to replica set ' + peers[i].setName + ': never initiating again; the set takes this member back' };
        }
      }
      for (var j = 0; j < peers.length; j++) {
        if (!peers[j].up) return { action: 'wait', reason: 'waiting for ' + peers[j].host + ' to answer before initiating' };
      }
      return { action: 'initiate', reason: 'no member belongs to a set and all answer: initiating' };
    }
    default:
      return { action: 'wait', reason: 'rs.status() failed: ' + (state.detail || 'unknown error') };
  }
}

// Looks at this member (and, when it is member 0 of a set not yet initiated, at the others).
function observe(io, config, ordinal) {
  var status = adminCommand(io, config.localUri, { replSetGetStatus: 1 });
  var state = { ordinal: ordinal, status: classifyStatus(status), detail: status.errmsg, isWritablePrimary: false, peers: [] };
  if (state.status === 'initiated') {
    var hello = adminCommand(io, config.localUri, { hello: 1 });
    state.isWritablePrimary = hello.ok === 1 && hello.isWritablePrimary === true;
  }
  if (state.status === 'not-initiated' && ordinal === 0) {
    for (var i = 1; i < config.hosts.length; i++) {
      var reply = adminCommand(io, 'mongodb://' + config.hosts[i] + '/' + config.peerOptions, { hello: 1 });
      state.peers.push({ host: config.hosts[i], up: reply.ok === 1, setName: reply.ok === 1 ? reply.setName : undefined });
    }
  }
  return state;
}

// --- client users: one per client database, readWrite on it ------------------------------------
// Created (or, when they exist, brought back to exactly this password and role) through the
// primary, reached over a replica set connection as the admin user; so any member can do it on
// any start, and a new user or a new password takes effect when the members roll.
// Returns { ok: true }, or { ok: false, fatal, reason }.
function ensureUsers(io, config) {
  var users = config.users || [];
  if (users.length === 0) return { ok: true };
  var uri = 'mongodb://' + encodeURIComponent(config.adminUser) + ':' + encodeURIComponent(io.env[config.passwordVar] || '')
    + '@' + config.hosts.join(',') + '/' + config.setOptions;
  for (var i = 0; i < users.length; i++) {
    var u = users[i];
    var pwd = io.env[u.passwordVar];
    if (!pwd) return { ok: false, fatal: true, reason: u.passwordVar + ' is empty: cannot create the user ' + u.user + ' on ' + u.db };
    var roles = [{ role: 'readWrite', db: u.db }];
    var r = dbCommand(io, uri, u.db, { createUser: u.user, pwd: pwd, roles: roles });
    if (r.ok === 1) {
      io.log('created the user ' + u.user + ' with readWrite on ' + u.db);
      continue;
    }
    if (r.code !== CODES.USER_ALREADY_EXISTS) return { ok: false, reason: 'createUser ' + u.user + ' on ' + u.db + ' failed (' + r.errmsg + ')' };
    r = dbCommand(io, uri, u.db, { updateUser: u.user, pwd: pwd, roles: roles });
    if (r.ok !== 1) return { ok: false, reason: 'updateUser ' + u.user + ' on ' + u.db + ' failed (' + r.errmsg + ')' };
  }
  io.log('client users ready: ' + users.map(function (x) { return x.user + '@' + x.db; }).join(', '));
  return { ok: true };
}
// --- end of client users ---------------------------------------------------------------------

// The loop; returns the exit code.
function run(io, config) {
  var ordinal = ordinalOf(io.env.POD_NAME);
  if (ordinal < 0) {
    io.log('POD_NAME ' + JSON.stringify(io.env.POD_NAME) + ' does not end in an ordinal: not a StatefulSet member');
    return 1;
  }
  var deadline = io.now() + config.timeoutMs;
  var said = '';
  var adminReady = false;
  for (;;) {
    var d = adminReady ? { action: 'users', reason: 'the admin user exists' } : decide(observe(io, config, ordinal));
    if (d.reason !== said && !adminReady) io.log(d.action + ': ' + d.reason);
    said = d.reason;
    if (d.action === 'done') adminReady = true;
    if (d.action === 'initiate') {
      var r = adminCommand(io, config.localUri, { replSetInitiate: initiateConfig(config) });
      if (r.ok === 1) io.log('initiated ' + config.setName + ' with ' + config.hosts.join(', '));
      else if (r.code === CODES.ALREADY_INITIALIZED) io.log('already initiated');
      else io.log('rs.initiate failed (' + r.errmsg + '); trying again');
    } else if (d.action === 'create-admin') {
      var password = io.env[config.passwordVar];
      if (!password) {
        io.log(config.passwordVar + ' is empty: cannot create the admin user');
        return 1;
      }
      var u = adminCommand(io, config.localUri, { createUser: config.adminUser, pwd: password, roles: [{ role: 'root', db: 'admin' }] });
      if (u.ok === 1) {
        io.log('created the admin user ' + config.adminUser);
        adminReady = true;
      } else if (u.code === CODES.USER_ALREADY_EXISTS || u.code === CODES.UNAUTHORIZED) {
        io.log('the admin user exists already');
        adminReady = true;
      } else {
        io.log('createUser failed (' + u.errmsg + '); trying again');
      }
    }
    if (adminReady) {
      var e = ensureUsers(io, config);
      if (e.ok) return 0;
      if (e.fatal) {
        io.log(e.reason);
        return 1;
      }
      if (e.reason !== said) io.log('users: ' + e.reason + '; trying again');
      said = e.reason;
      d = { action: 'users', reason: e.reason };
    }
    if (io.now() >= deadline) {
      io.log('giving up after ' + Math.round(config.timeoutMs / 1000) + ' s: ' + d.reason + ' (a pod restart runs this step again)');
      return 1;
    }
    io.sleep(config.intervalMs);
  }
}

if (typeof MEGA8S_EXPORTS === 'object' && MEGA8S_EXPORTS !== null) {
  MEGA8S_EXPORTS.ordinalOf = ordinalOf;
  MEGA8S_EXPORTS.classifyStatus = classifyStatus;
  MEGA8S_EXPORTS.initiateConfig = initiateConfig;
  MEGA8S_EXPORTS.decide = decide;
  MEGA8S_EXPORTS.observe = observe;
  MEGA8S_EXPORTS.run = run;
  MEGA8S_EXPORTS.ensureUsers = ensureUsers;
} else {
  // mongosh: the shell API lives only here.
  quit(run({
    connect: function (uri) { return new Mongo(uri); },
    sleep: function (ms) { sleep(ms); },
    log: function (msg) { print('[mega8s-init] ' + msg); },
    now: function () { return Date.now(); },
    env: process.env,
  }, MEGA8S_CONFIG));
}
