// The lab dashboard's page: plain DOM, uPlot for the charts, one EventSource for everything live.
'use strict';

(() => {
  const CHART_SECONDS = 60;
  const GRACEFUL_SECONDS = 10;
  const NEW_POD_MS = 5000;
  /** How long the new primary stays highlighted after a failover. */
  const PROMOTED_MS = 15000;

  const pods = new Map(); // name → { card, pod }
  const columns = new Map(); // app → { section, list, summary, chart, data }
  let firstPods = true;
  let chartedApps = [];
  const carts = new Map(); // prefix → last state
  let seenFailovers; // promotedAt of every failover already announced (after the first state)
  let primaryDownSince; // the last "primary not answering" announced

  /** An element with attributes and children (strings become text nodes). */
  function el(tag, attributes = {}, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === undefined || value === false) continue;
      element.setAttribute(name, value === true ? '' : String(value));
    }
    element.append(...children.filter((child) => child !== undefined));
    return element;
  }

  const money = (amount, currency = 'KRW') =>
    `${new Intl.NumberFormat('en').format(amount)} ${currency}`;

  const clock = (date) =>
    new Date(date).toLocaleTimeString('en-GB', { hour12: false });

  function age(startedAt) {
    const seconds = Math.max(
      0,
      Math.floor((Date.now() - Date.parse(startedAt)) / 1000),
    );
    if (seconds < 60) return `${seconds}s`;
    if (seconds < 3600)
      return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
    return `${Math.floor(seconds / 3600)}h ${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
  }

  /** A line in "What just happened" (a polite live region: screen readers hear it too). */
  function announce(text, attributes = {}) {
    const log = document.getElementById('activity');
    log.append(el('li', attributes, `${clock(Date.now())} ${text}`));
    while (log.children.length > 30) log.firstElementChild.remove();
    log.scrollTop = log.scrollHeight;
  }

  async function call(method, path, body) {
    const response = await fetch(path, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const payload = await response.json().catch(() => ({}));
    if (!response.ok)
      throw new Error(
        payload.message || `${method} ${path}: ${response.status}`,
      );
    return payload;
  }

  /** Runs an action from a button, with the button busy meanwhile and the outcome announced. */
  async function act(button, action) {
    button.disabled = true;
    try {
      announce(await action());
    } catch (error) {
      announce(`Failed: ${error.message}`);
    } finally {
      button.disabled = false;
    }
  }

  /** Apps scaled in from the page, and the count to scale them back out to. */
  const scaledInFrom = new Map();

  function deploy(button, app) {
    return act(button, async () => {
      await call('POST', '/_lab/deploys', { app });
      return `Deploying a new version of ${app}: each pod is replaced, one at a time (kubectl rollout restart).`;
    });
  }

  function scaleInOrOut(button, app) {
    return act(button, async () => {
      const from = scaledInFrom.get(app);
      if (from) {
        await call('POST', '/_lab/scales', { app, replicas: from });
        scaledInFrom.delete(app);
        button.textContent = 'Scale in';
        return `Scaling ${app} back out to ${from} pods.`;
      }
      const running = [...pods.values()].filter(
        (known) => known.pod.app === app && known.pod.status !== 'Terminating',
      ).length;
      await call('POST', '/_lab/scales', { app, replicas: 1 });
      scaledInFrom.set(app, Math.max(2, running));
      button.textContent = `Scale out to ${Math.max(2, running)}`;
      return `Scaling ${app} in to 1 pod (what an autoscaler does at night).`;
    });
  }

  /** kill -9 of a Redis node's process: restarted in place, as a crash is (a primary stays down long enough for the Sentinels). */
  function crash(button, pod) {
    return act(button, async () => {
      await call('POST', '/_lab/kills', { pod, grace: 0, process: true });
      return `Killed the process of ${pod} (kill -9): it restarts in place.`;
    });
  }

  function kill(button, pod, grace) {
    return act(button, async () => {
      await call('POST', '/_lab/kills', { pod, grace });
      return grace === 0
        ? `Sent SIGKILL to ${pod}.`
        : `Deleting ${pod} gracefully (SIGTERM, drain, ${grace} s grace).`;
    });
  }

  // ---- Columns and charts -------------------------------------------------------------------

  function chartOptions(width) {
    return {
      width,
      height: 130,
      scales: {
        x: { time: true },
        y: { range: (_chart, _min, max) => [0, Math.max(5, max)] },
      },
      axes: [
        { stroke: '#57606a', grid: { stroke: '#eaeef2' }, size: 30 },
        { stroke: '#57606a', grid: { stroke: '#eaeef2' }, size: 36 },
      ],
      series: [
        { label: 'time' },
        { label: 'answered/s', stroke: '#0969da', width: 2 },
        { label: 'failed/s', stroke: '#cf222e', width: 3, dash: [6, 4] },
      ],
      legend: { show: false },
      cursor: { show: false },
    };
  }

  /** Sentinels watch Redis: their cards go in the Redis column, under its nodes. */
  const columnAppOf = (app) => (app === 'sentinel' ? 'redis' : app);

  function column(app) {
    app = columnAppOf(app);
    let entry = columns.get(app);
    if (entry) return entry;
    const titleId = `app-${app}`;
    const summary = el('p', { class: 'summary' }, '');
    const list = el('ul', { 'aria-label': `${app} pods` });
    const section = el(
      'section',
      { class: 'app', 'aria-labelledby': titleId, 'data-app': app },
      el(
        'div',
        { class: 'app-head' },
        el('h2', { id: titleId, tabindex: '-1' }, app),
      ),
      summary,
    );
    if (app !== 'redis') {
      const deployButton = el(
        'button',
        { type: 'button', 'data-role': 'deploy', 'data-app': app },
        'Deploy a new version',
      );
      const scaleButton = el(
        'button',
        { type: 'button', 'data-role': 'scale', 'data-app': app },
        'Scale in',
      );
      deployButton.addEventListener('click', () => deploy(deployButton, app));
      scaleButton.addEventListener('click', () =>
        scaleInOrOut(scaleButton, app),
      );
      section.append(
        el('div', { class: 'app-actions' }, deployButton, scaleButton),
      );
    }
    entry = { section, list, summary, chart: undefined, data: undefined };
    if (app === 'redis') {
      entry.topology = el(
        'p',
        { class: 'topology', 'data-role': 'topology', tabindex: '-1' },
        'Asking each node for its role…',
      );
      entry.lastFailover = el(
        'p',
        { class: 'last-failover', 'data-role': 'last-failover', hidden: true },
        '',
      );
      entry.sentinels = el('ul', { 'aria-label': 'sentinel pods' });
      entry.sentinelBlock = el(
        'div',
        { class: 'sentinels', hidden: true },
        el('h3', {}, 'Sentinels'),
        entry.sentinels,
      );
      section.append(entry.topology, entry.lastFailover);
    }
    if (chartedApps.includes(app)) {
      const holder = el('div', {
        class: 'chart',
        role: 'img',
        'aria-label': `${app}: answered and failed requests per second, last ${CHART_SECONDS} seconds`,
      });
      section.append(holder);
      entry.data = [[], [], []];
      entry.chart = new uPlot(
        chartOptions(Math.max(200, holder.clientWidth || 260)),
        entry.data,
        holder,
      );
      new ResizeObserver(() => {
        const width = holder.clientWidth;
        if (width > 0 && width !== entry.chart.width)
          entry.chart.setSize({ width, height: 130 });
      }).observe(holder);
    }
    section.append(list);
    if (entry.sentinelBlock) section.append(entry.sentinelBlock);
    columns.set(app, entry);
    // Story order first (auth, order, cart, cart-legacy), anything else (redis) after.
    const container = document.getElementById('apps');
    const order = (name) => {
      const index = chartedApps.indexOf(name);
      return index === -1 ? chartedApps.length : index;
    };
    const after = [...container.children].find(
      (other) => order(other.dataset.app) > order(app),
    );
    container.insertBefore(section, after ?? null);
    return entry;
  }

  function addSecond(entry, at, tally) {
    if (!entry.data) return;
    const [xs, ok, failed] = entry.data;
    const x = at / 1000;
    if (xs.length && xs[xs.length - 1] >= x) return;
    xs.push(x);
    ok.push(tally.ok);
    failed.push(tally.failed);
    while (xs.length > CHART_SECONDS)
      [xs, ok, failed].forEach((a) => a.shift());
    entry.chart.setData(entry.data);
  }

  function onHistory({ apps, seconds }) {
    chartedApps = apps;
    for (const app of apps) {
      const entry = column(app);
      entry.data.forEach((series) => (series.length = 0));
      for (const second of seconds)
        addSecond(entry, second.at, second.counts[app]);
    }
  }

  // ---- Pod cards ------------------------------------------------------------------------------

  function podCard(pod) {
    const graceful = el(
      'button',
      {
        type: 'button',
        'aria-label': `Delete pod ${pod.name} gracefully (SIGTERM, ${GRACEFUL_SECONDS} s grace)`,
        'data-grace': String(GRACEFUL_SECONDS),
      },
      el('span', { 'aria-hidden': 'true' }, '■ '),
      'Delete',
    );
    const sigkill = el(
      'button',
      {
        type: 'button',
        class: 'danger',
        'aria-label': `Kill pod ${pod.name} with SIGKILL`,
        'data-grace': '0',
      },
      el('span', { 'aria-hidden': 'true' }, '✖ '),
      'SIGKILL',
    );
    graceful.addEventListener('click', () =>
      kill(graceful, pod.name, GRACEFUL_SECONDS),
    );
    sigkill.addEventListener('click', () => kill(sigkill, pod.name, 0));
    // A deleted StatefulSet pod is back at once under its name: for a failover, crash the process.
    let crashButton;
    if (pod.app === 'redis') {
      crashButton = el(
        'button',
        {
          type: 'button',
          class: 'danger',
          'aria-label': `Kill the process of ${pod.name} (kill -9, restarted in place)`,
          'data-role': 'crash',
        },
        el('span', { 'aria-hidden': 'true' }, '✖ '),
        'kill -9',
      );
      crashButton.addEventListener('click', () => crash(crashButton, pod.name));
    }
    const field = (label, role) =>
      el('div', {}, el('dt', {}, label), el('dd', { 'data-role': role }, ''));
    return el(
      'li',
      { class: 'pod', 'data-pod-name': pod.name, 'data-app': pod.app },
      el('h3', {}, pod.name),
      el('p', { class: 'status', 'data-role': 'status' }, ''),
      el(
        'dl',
        {},
        field('age', 'age'),
        field('restarts', 'restarts'),
        field('req/s', 'rate'),
      ),
      el('p', { class: 'holds', 'data-role': 'holds', hidden: true }, ''),
      pod.app === 'redis' || pod.app === 'sentinel'
        ? el('p', { class: 'redis-role', 'data-role': 'redis-role' }, '')
        : undefined,
      el('div', { class: 'actions' }, graceful, sigkill, crashButton),
    );
  }

  function statusText(pod) {
    if (pod.status === 'Terminating') return '✖ Terminating';
    // Why the process ended, as kubectl names it: OOMKilled (its memory limit), Completed, Error.
    if (pod.status === 'Restarting')
      return `↻ Restarting (${pod.lastTermination ?? 'process died'})`;
    if (pod.ready) return `✔ Ready · ${pod.status}`;
    return `○ Not ready · ${pod.status}`;
  }

  function updateCard(card, pod, you) {
    card.dataset.ready = String(pod.ready);
    card.dataset.status = pod.status;
    card.querySelector('[data-role=status]').textContent = statusText(pod);
    card.querySelector('[data-role=age]').textContent = age(pod.startedAt);
    card.querySelector('[data-role=restarts]').textContent = String(
      pod.restarts,
    );
    card.querySelector('[data-role=rate]').textContent = String(
      pod.requestsPerSecond,
    );
    const legacy = you?.carts.find((cart) => cart.prefix === '/legacy-cart');
    const holds = legacy?.state === 'kept' && legacy.sessionPod === pod.name;
    const badge = card.querySelector('[data-role=holds]');
    badge.hidden = !holds;
    badge.textContent = holds
      ? 'Holds your legacy cart — in its memory only'
      : '';
    card.toggleAttribute('data-holds-legacy-cart', holds);
  }

  function renderPods(list, you) {
    const seen = new Set();
    for (const pod of list) {
      seen.add(pod.name);
      let known = pods.get(pod.name);
      if (!known) {
        known = { card: podCard(pod), pod };
        pods.set(pod.name, known);
        const entry = column(pod.app);
        (pod.app === 'sentinel' ? entry.sentinels : entry.list).append(
          known.card,
        );
        if (!firstPods) {
          known.card.classList.add('new');
          setTimeout(() => known.card.classList.remove('new'), NEW_POD_MS);
          announce(`New pod ${pod.name} (${pod.app}) is starting.`);
        }
      } else if (!known.pod.ready && pod.ready && !firstPods) {
        announce(`${pod.name} is ready.`);
      } else if (known.pod.restarts < pod.restarts) {
        announce(`${pod.name} restarted in place (restarts: ${pod.restarts}).`);
      }
      known.pod = pod;
      updateCard(known.card, pod, you);
    }
    for (const [name, known] of pods) {
      if (seen.has(name)) continue;
      const heading = column(known.pod.app).section.querySelector('h2');
      if (known.card.contains(document.activeElement)) heading.focus();
      known.card.remove();
      pods.delete(name);
      announce(`Pod ${name} is gone.`);
    }
    for (const [app, entry] of columns) {
      const mine = list.filter((pod) => pod.app === app);
      const ready = mine.filter((pod) => pod.ready).length;
      entry.summary.textContent = `${ready}/${mine.length} ready`;
      if (app !== 'redis') continue;
      const sentinels = list.filter((pod) => pod.app === 'sentinel');
      entry.sentinelBlock.hidden = sentinels.length === 0;
      if (sentinels.length > 0)
        entry.summary.textContent += ` · Sentinels ${sentinels.filter((pod) => pod.ready).length}/${sentinels.length} ready`;
    }
    firstPods = false;
  }

  // ---- The "you" panel ------------------------------------------------------------------------

  function definitions(list, pairs) {
    list.replaceChildren(
      ...pairs.flatMap(([term, value]) => [
        el('dt', {}, term),
        el('dd', {}, value ?? '—'),
      ]),
    );
  }

  function renderToken(token) {
    const panel = document.getElementById('token');
    if (!token) return;
    panel.dataset.state = token.accepted ? 'accepted' : 'rejected';
    panel.querySelector('[data-role=state]').textContent = token.accepted
      ? '✔ Accepted by order (any pod verifies it with the JWKS)'
      : '✖ Rejected by order (401)';
    const claims = token.claims;
    const time = (seconds) =>
      typeof seconds === 'number' ? clock(seconds * 1000) : undefined;
    definitions(panel.querySelector('[data-role=claims]'), [
      ['issued by pod', token.issuedBy],
      ['sub', claims.sub],
      ['iss', claims.iss],
      ['aud', [].concat(claims.aud ?? []).join(', ')],
      ['alg · kid', `${token.header.alg} · ${token.header.kid ?? '—'}`],
      ['iat · exp', `${time(claims.iat)} · ${time(claims.exp)}`],
      ['jti', claims.jti],
      ['token', token.preview],
    ]);
  }

  // After "Log out": the stateless trade-off in one line — or the denylist taking it back.
  function renderAfterLogout(logout) {
    const line = document.querySelector('#token [data-role=after-logout]');
    line.hidden = !logout;
    if (!logout) {
      delete line.dataset.afterLogout;
      return;
    }
    const old = logout.oldToken;
    line.dataset.afterLogout = old.accepted ? 'accepted' : 'refused';
    line.textContent = old.accepted
      ? `Logged out, yet your old token is still accepted by order — for ${old.secondsLeft} more seconds, until its exp (${old.lastCheck}). A stateless verifier cannot know you logged out.`
      : old.refusedAtOnce
        ? `Logged out: your old token was refused at once (${old.lastCheck}) — the denylist in Redis took it back.`
        : `Logged out: your old token is refused now (${old.lastCheck}).`;
  }

  function cartStateText(cart) {
    if (cart.state === 'kept')
      return `✔ Kept — ${cart.items.length} lines, ${money(cart.total)}`;
    if (cart.state === 'lost') return '✖ Lost — the session is gone';
    if (cart.state === 'unreachable')
      return `⚠ Not answering right now (${cart.detail})`;
    return '— No cart yet';
  }

  function cartWhere(cart) {
    if (cart.store === 'redis') {
      return cart.state === 'lost'
        ? `The session was in Redis and is gone (${cart.detail}).`
        : `Session created by ${cart.sessionPod ?? '—'}, stored in Redis: any cart pod can serve it (last answer from ${cart.servedBy ?? '—'}).`;
    }
    if (cart.state === 'lost')
      return `Only ${cart.sessionPod} had it, in its memory; that pod is gone. ${cart.detail} since ${clock(cart.lostAt)}.`;
    return cart.sessionPod
      ? `Lives only in the memory of ${cart.sessionPod}; the gateway pins you to it with a cookie.`
      : '';
  }

  function renderCart(cart) {
    const panel = document.querySelector(`[data-cart="${cart.prefix}"]`);
    const previous = carts.get(cart.prefix);
    panel.dataset.state = cart.state;
    panel.querySelector('[data-role=state]').textContent = cartStateText(cart);
    panel
      .querySelector('[data-role=items]')
      .replaceChildren(
        ...cart.items.map((item) =>
          el('li', {}, `${item.qty} × ${item.name} — ${money(item.lineTotal)}`),
        ),
      );
    panel.querySelector('[data-role=where]').textContent = cartWhere(cart);
    const killHolder = panel.querySelector('[data-role=kill-holder]');
    if (killHolder) {
      const show = cart.state === 'kept' && !!cart.sessionPod;
      if (!show && killHolder === document.activeElement)
        panel.querySelector('[data-role=state]').focus();
      killHolder.hidden = !show;
      killHolder.className = 'danger';
      killHolder.textContent = show
        ? `✖ Kill ${cart.sessionPod}, the pod holding it (SIGKILL)`
        : '';
      killHolder.dataset.pod = cart.sessionPod ?? '';
    }
    if (previous && previous.state !== 'lost' && cart.state === 'lost') {
      announce(
        cart.store === 'memory'
          ? `Your legacy cart is LOST: ${cart.sessionPod} died and took the session with it.`
          : `Your Redis cart is LOST (${cart.detail}).`,
      );
    }
    carts.set(cart.prefix, cart);
  }

  function renderOrders(orders) {
    const panel = document.getElementById('orders');
    panel.dataset.state = orders.count > 0 ? 'kept' : 'none';
    panel.querySelector('[data-role=state]').textContent =
      orders.count > 0
        ? `✔ ${orders.count} order${orders.count === 1 ? '' : 's'}, kept in Redis`
        : `— ${orders.detail}`;
    panel
      .querySelector('[data-role=items]')
      .replaceChildren(
        ...orders.last.map((order) =>
          el(
            'li',
            { 'data-order-id': order.id },
            `${order.items.map((item) => `${item.qty} × ${item.name}`).join(', ')} · ${money(order.total, order.currency)} · ${clock(order.createdAt)}`,
          ),
        ),
      );
  }

  const bytes = (value) => `${new Intl.NumberFormat('en').format(value)} B`;

  /** One request's bytes: the credential's share and the rest, in words and as a bar. */
  function carriedEntry(kind, label, carried) {
    if (!carried) return el('p', { 'data-kind': kind }, `${label}: —`);
    const share = carried.sent ? (100 * carried.credential) / carried.sent : 0;
    const bar = el('span', { class: `credential ${kind}` });
    // Through the CSSOM: the page's policy refuses inline style attributes.
    bar.style.width = `${share.toFixed(1)}%`;
    const back = carried.credentialReceived
      ? `; ${bytes(carried.received)} back, ${bytes(carried.credentialReceived)} of it the renewed cookie`
      : `; ${bytes(carried.received)} back`;
    return el(
      'div',
      {
        class: 'carried',
        'data-kind': kind,
        'data-sent': carried.sent,
        'data-credential': carried.credential,
        'data-rest': carried.rest,
      },
      el(
        'p',
        {},
        el('strong', {}, carried.request),
        ` sent ${bytes(carried.sent)}: ${bytes(carried.credential)} ${label}, ${bytes(carried.rest)} the rest${back}.`,
      ),
      el('div', { class: 'bytes-bar', 'aria-hidden': 'true' }, bar),
    );
  }

  function renderCarried(carried) {
    document
      .querySelector('#carried [data-role=kinds]')
      .replaceChildren(
        carriedEntry('token', 'token (Authorization)', carried?.token),
        carriedEntry('cookie', 'cookie (Cookie)', carried?.cookie),
      );
  }

  function renderYou(you) {
    document.getElementById('you-user').textContent = you.username;
    document.getElementById('you-state').textContent =
      you.state === 'ready'
        ? 'What the stack says about you right now, looked up every second through the entry point.'
        : you.state === 'error'
          ? `⚠ ${you.error}`
          : 'Logging in and filling your carts…';
    renderToken(you.token);
    renderAfterLogout(you.logout);
    you.carts.forEach(renderCart);
    renderOrders(you.orders);
    renderCarried(you.carried);
  }

  // ---- Redis: each node's role, the Sentinels, the failovers -------------------------------

  const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

  function roleText(node) {
    if (node.role === 'primary')
      return `★ Primary · ${node.replicas} replica${node.replicas === 1 ? '' : 's'} connected`;
    if (node.role === 'replica')
      return `Replica of ${node.replicaOf} · link ${node.linkUp ? 'up' : 'down'}`;
    return '✖ Not answering ROLE';
  }

  function topologyText(view) {
    if (!view.available) return `⚠ Roles unknown: ${view.reason}.`;
    if (view.at === undefined) return 'Asking each node for its role…';
    if (view.primaryDownSince !== undefined)
      return `⚠ Primary ${view.primary} not answering for ${seconds(view.at - view.primaryDownSince)}: ${
        view.sentinels.length > 0
          ? 'the Sentinels have not promoted a replica yet'
          : 'no Sentinel to promote a replica, Redis is down until it is back'
      }.`;
    if (!view.primary)
      return view.sentinels.length > 0
        ? '⚠ No primary: the Sentinels do not agree on one.'
        : '⚠ No primary: no node answers as one.';
    const replicas = view.nodes.filter((node) => node.role === 'replica');
    const linked = replicas.filter(
      (node) => node.linkUp && node.replicaOf === view.primary,
    ).length;
    const naming = view.sentinels.filter(
      (sentinel) => sentinel.names === view.primary,
    ).length;
    return [
      `★ Primary ${view.primary}`,
      replicas.length === 0
        ? 'no replicas'
        : `${linked}/${replicas.length} replicas linked to it`,
      view.sentinels.length === 0
        ? 'no Sentinels (one Redis; LAB_REDIS=sentinel runs replicas)'
        : `${naming}/${view.sentinels.length} Sentinels name it`,
    ].join(' · ');
  }

  function renderRedis(view) {
    const entry = columns.get('redis');
    if (!view || !entry) return; // no Redis pod of the stack (REDIS_URL: somebody else's)
    const nodes = new Map(view.nodes.map((node) => [node.pod, node]));
    const sentinels = new Map(view.sentinels.map((one) => [one.pod, one]));
    const latest = view.failovers[view.failovers.length - 1];
    for (const { card, pod } of pods.values()) {
      const line = card.querySelector('[data-role=redis-role]');
      if (!line) continue;
      card.toggleAttribute(
        'data-named-primary',
        view.available && pod.name === view.primary,
      );
      if (!view.available || view.at === undefined) {
        card.dataset.redisRole = 'unknown';
        line.textContent = view.available ? 'Role: asking…' : 'Role unknown';
        card.classList.remove('promoted');
        continue;
      }
      if (pod.app === 'sentinel') {
        const sentinel = sentinels.get(pod.name);
        card.dataset.redisRole = 'sentinel';
        card.dataset.names = sentinel?.names ?? '';
        line.textContent = sentinel?.reachable
          ? `Names ${sentinel.names} primary`
          : '✖ Not answering';
        continue;
      }
      const node = nodes.get(pod.name);
      card.dataset.redisRole = node?.role ?? 'unknown';
      line.textContent = node ? roleText(node) : 'Role: not asked yet';
      if (node?.role === 'primary' && view.primary && view.primary !== pod.name)
        line.textContent += ` — yet the Sentinels name ${view.primary}`;
      const promoted =
        !!latest &&
        latest.to === pod.name &&
        node?.role === 'primary' &&
        view.at - latest.promotedAt < PROMOTED_MS;
      card.classList.toggle('promoted', promoted);
      if (promoted)
        line.textContent += ` — promoted ${seconds(latest.tookMs)} after ${latest.from} stopped answering`;
    }

    entry.topology.dataset.state = !view.available
      ? 'unknown'
      : view.primaryDownSince !== undefined || !view.primary
        ? 'failing-over'
        : 'ok';
    entry.topology.textContent = topologyText(view);
    entry.lastFailover.hidden = !latest;
    entry.lastFailover.textContent = latest
      ? `Last failover ${clock(latest.promotedAt)}: ${latest.from} → ${latest.to} in ${seconds(latest.tookMs)} (from the first look at which ${latest.from} no longer answered as primary to the first naming ${latest.to}; looked every ${view.pollMs} ms).`
      : '';

    // "What just happened": the primary going down, then the failover with the time it took.
    if (
      view.primaryDownSince !== undefined &&
      view.primaryDownSince !== primaryDownSince
    )
      announce(
        `Redis primary ${view.primary} stopped answering at ${clock(view.primaryDownSince)}: writes fail until ${view.sentinels.length > 0 ? 'the Sentinels promote a replica' : 'it is back'}.`,
        { 'data-event': 'primary-down', 'data-pod': view.primary },
      );
    primaryDownSince = view.primaryDownSince;
    if (seenFailovers === undefined)
      seenFailovers = new Set(view.failovers.map((one) => one.promotedAt));
    for (const failover of view.failovers) {
      if (seenFailovers.has(failover.promotedAt)) continue;
      seenFailovers.add(failover.promotedAt);
      announce(
        `⇄ Failover: ${failover.to} is the Redis primary, ${seconds(failover.tookMs)} after ${failover.from} stopped answering (${clock(failover.lostAt)} → ${clock(failover.promotedAt)}).`,
        {
          class: 'failover',
          'data-event': 'failover',
          'data-from': failover.from,
          'data-to': failover.to,
          'data-took-ms': failover.tookMs,
        },
      );
    }
  }

  // ---- Load ---------------------------------------------------------------------------------

  function renderLoad(load) {
    const select = document.getElementById('users');
    if (document.activeElement !== select) {
      if (![...select.options].some((o) => o.value === String(load.users)))
        select.append(el('option', { value: load.users }, String(load.users)));
      select.value = String(load.users);
    }
    document.getElementById('load-summary').textContent =
      load.running > 0
        ? `${load.running} virtual user${load.running === 1 ? '' : 's'} running`
        : 'no load';
  }

  // ---- Live updates -------------------------------------------------------------------------

  function onState(state) {
    const error = document.getElementById('pods-error');
    error.hidden = !state.podsError;
    error.textContent = state.podsError
      ? `⚠ Cannot list pods: ${state.podsError}`
      : '';
    renderYou(state.you);
    renderPods(state.pods, state.you);
    renderRedis(state.redis);
    for (const app of chartedApps) {
      const entry = column(app);
      const tally = state.traffic[app] ?? { ok: 0, failed: 0 };
      addSecond(entry, state.at, tally);
      entry.summary.textContent += ` · last second: ${tally.ok} answered, ${tally.failed} failed`;
    }
    renderLoad(state.load);
  }

  function connect() {
    const connection = document.getElementById('connection');
    const events = new EventSource('/_lab/events');
    events.addEventListener('open', () => {
      connection.dataset.state = 'live';
      connection.textContent = `● Live: ${location.host}`;
    });
    events.addEventListener('error', () => {
      connection.dataset.state = 'lost';
      connection.textContent = '⚠ Lab not answering; reconnecting…';
    });
    events.addEventListener('history', (event) =>
      onHistory(JSON.parse(event.data)),
    );
    events.addEventListener('state', (event) =>
      onState(JSON.parse(event.data)),
    );
  }

  // ---- Controls ----------------------------------------------------------------------------

  for (const id of ['kill-each', 'delete-each']) {
    const button = document.getElementById(id);
    button.addEventListener('click', () =>
      act(button, async () => {
        const grace = Number(button.dataset.grace);
        const { killed } = await call('POST', '/_lab/kills', {
          oneOfEach: true,
          grace,
        });
        return `${grace === 0 ? 'SIGKILL sent to' : 'Deleting gracefully'}: ${killed.join(', ') || 'no ready pod'}.`;
      }),
    );
  }
  const holder = document.querySelector('[data-role=kill-holder]');
  holder.addEventListener('click', () => kill(holder, holder.dataset.pod, 0));
  const reset = document.getElementById('you-reset');
  reset.addEventListener('click', () =>
    act(reset, async () => {
      await call('POST', '/_lab/you/reset');
      carts.clear();
      return 'Started over: logged in again, both carts filled, one more order.';
    }),
  );
  const logout = document.getElementById('you-logout');
  logout.addEventListener('click', () =>
    act(logout, async () => {
      const you = await call('POST', '/_lab/you/logout');
      renderAfterLogout(you.logout);
      return `Logged out (${you.logout?.detail ?? 'not logged in'}); watching whether order still takes your old token.`;
    }),
  );
  const users = document.getElementById('users');
  users.addEventListener('change', () =>
    act(users, async () => {
      const load = await call('PUT', '/_lab/load', {
        users: Number(users.value),
      });
      renderLoad(load);
      return `Load: ${load.users} virtual users.`;
    }),
  );

  connect();
})();
