// Keeps the agents table current without reloading: asks /api/v1/status/agents every 2 s and rewrites the rows.
// Every value goes in as text (textContent), never as HTML. A 401 means the session ended: back to the sign-in page.
'use strict';
(function () {
  const PERIOD_MS = 2000;

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function connectionCell(a) {
    const td = el('td', 'connection');
    if (a.connected === undefined) { td.append(el('span', 'muted', 'unknown')); return td; }
    if (a.connected) {
      td.append(el('span', 'state ok', 'connected'), el('br'),
        el('span', 'muted', 'since ' + a.since + ' · ' + a.tunnels.open + ' tunnels, ' + a.tunnels.idle + ' idle'));
    } else {
      td.append(el('span', 'state bad', 'disconnected'), el('br'),
        el('span', 'muted', a.since ? 'since ' + a.since : 'never connected to this KAS'));
    }
    return td;
  }

  function podsCell(a) {
    const td = el('td', 'pods');
    for (const p of a.instances || []) {
      const div = el('div', null, p.pod_name ? p.pod_namespace + '/' + p.pod_name : 'not in a pod');
      div.append(el('br'), el('span', 'muted', 'agent ' + p.agent_version + ' · Kubernetes ' + p.kubernetes_version
        + ' · registered ' + p.last_registration));
      td.append(div);
    }
    return td;
  }

  function configCell(a) {
    const td = el('td', 'config');
    const c = a.config || {};
    if (c.commit) td.append(el('span', null, c.path), el('br'), el('span', 'muted', 'commit ' + c.commit.substring(0, 12)));
    if (c.error) {
      td.append(el('div', 'problem', c.error.path + (c.error.line ? ', line ' + c.error.line : '') + ': ' + c.error.message));
    }
    return td;
  }

  function hidden(name, value) {
    const i = el('input');
    i.type = 'hidden';
    i.name = name;
    i.value = String(value);
    return i;
  }

  // The same form the server renders: a POST with the session's CSRF token, from the page's own data attribute.
  function reconcileForm(a, o) {
    const f = el('form', 'reconcile');
    f.method = 'post';
    f.action = '/status/reconcile';
    const b = el('button', null, 'Reconcile');
    b.type = 'submit';
    b.title = 'ask Flux to reconcile it now';
    f.append(hidden('csrf_token', document.body.dataset.csrf), hidden('agent', a.id), hidden('kind', o.kind),
      hidden('namespace', o.namespace), hidden('name', o.name), b);
    return f;
  }

  function fluxCell(a) {
    const td = el('td', 'flux');
    const f = a.flux;
    if (!f) return td;
    if (f.problem) td.append(el('div', 'problem', f.problem));
    for (const o of f.objects) {
      const div = el('div', 'flux-object');
      div.append(reconcileForm(a, o));
      const cls = o.ready === 'True' ? 'state ok' : o.ready === 'False' ? 'state bad' : 'state';
      div.append(el('span', cls, o.ready), document.createTextNode(' ' + o.kind + ' ' + o.namespace + '/' + o.name));
      if (o.revision) div.append(el('br'), el('span', 'muted', o.revision));
      if (o.ready !== 'True' && o.message) div.append(el('br'), el('span', 'muted', o.reason + ': ' + o.message));
      td.append(div);
    }
    if (f.objects.length === 0 && !f.problem) td.append(el('span', 'muted', 'no Flux objects'));
    return td;
  }

  function row(a) {
    const tr = el('tr');
    tr.id = 'agent-' + a.id;
    tr.dataset.agent = a.id;
    const name = el('td');
    name.append(el('strong', 'name', a.name), el('br'), el('span', 'muted', '#' + a.id + ' · ' + a.config_project));
    tr.append(name, connectionCell(a), podsCell(a), configCell(a), fluxCell(a));
    return tr;
  }

  async function refresh() {
    try {
      const r = await fetch('/api/v1/status/agents', { credentials: 'same-origin', cache: 'no-store' });
      if (r.status === 401) { window.location.assign('/status'); return; }
      if (!r.ok) return;
      const body = await r.json();
      const tbody = document.querySelector('#agents tbody');
      tbody.replaceChildren(...body.agents.map(row));
      const none = document.getElementById('no-agents');
      if (none) none.hidden = body.agents.length > 0;
      document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
    } catch (e) {
      document.getElementById('updated').textContent = 'KAS did not answer: ' + e.message;
    }
  }

  setInterval(refresh, PERIOD_MS);
})();
