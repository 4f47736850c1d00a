// Keeps the agents table current without reloading: asks for its rows every 2 s, rendered on the server by the same
// template as the page (HTML-escaped there), and swaps them in. A 401 means the session ended: back to the sign-in page.
'use strict';
(function () {
  const PERIOD_MS = 2000;

  async function refresh() {
    const updated = document.getElementById('updated');
    try {
      const r = await fetch('/status/rows', { credentials: 'same-origin', cache: 'no-store' });
      if (r.status === 401) { window.location.assign('/status'); return; }
      if (!r.ok) return;
      const tbody = document.querySelector('#agents tbody');
      tbody.innerHTML = await r.text();
      document.getElementById('no-agents').hidden = tbody.rows.length > 0;
      updated.textContent = 'updated ' + new Date().toLocaleTimeString();
    } catch (e) {
      updated.textContent = 'KAS did not answer: ' + e.message;
    }
  }

  setInterval(refresh, PERIOD_MS);
})();
