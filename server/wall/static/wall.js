// The wall display: poll board.json with If-None-Match, render, rotate workshops,
// keep a clock, and show when the server could not be reached. While an alert nobody has
// acknowledged is open, a red banner names the machine, the reason and the minutes open.
(function () {
  "use strict";
  const root = document.getElementById("wall");
  const t = JSON.parse(document.getElementById("phrases").textContent);
  const pollMs = Number(root.dataset.pollMs);
  const rotateMs = Number(root.dataset.rotateS) * 1000;
  const boardUrl = root.dataset.boardUrl;
  const photoUrl = root.dataset.photoUrl;
  const zone = root.dataset.timezone;
  const $ = (id) => document.getElementById(id);
  let etag = null;
  let data = null;
  let current = 0;
  let lastUpdate = null;
  let serverOffsetMs = 0; // the server's clock minus this TV's, from each answer's Date
  let alertTurn = 0; // which open alert the banner shows
  const ALERT_MS = 6000;

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function avatar(person) {
    if (person.has_photo) {
      const img = el("img", "avatar");
      img.src = photoUrl.replace("CODE", encodeURIComponent(person.code));
      img.alt = "";
      return img;
    }
    return el("div", "avatar", person.avatar);
  }

  function points(value, cls) {
    const node = el("span", cls, String(value));
    node.appendChild(el("small", null, t.points));
    return node;
  }

  function starIcon() {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", "star-icon");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M12 2l2.9 6.6 7.1.6-5.4 4.7 1.6 7-6.2-3.8-6.2 3.8 1.6-7L2 9.2l7.1-.6z");
    path.setAttribute("fill", "#ffd257");
    svg.appendChild(path);
    return svg;
  }

  // Stars, not words, so names keep their room; how many the scheme gives (the server says).
  function tierStars(tier) {
    const count = Number.isInteger(tier.stars) ? tier.stars : 1;
    const node = el("span", "tier", "★".repeat(count));
    const named = tier.name === tier.key && t[`tier_${tier.key}`] ? t[`tier_${tier.key}`] : tier.name;
    node.title = named;
    node.setAttribute("aria-label", named);
    return node;
  }

  function dates(board) {
    if (!board.period_start) return "";
    const fmt = (iso) => { const [, m, d] = iso.split("-"); return `${Number(m)}/${Number(d)}`; };
    return `${t.week} ${fmt(board.period_start)} – ${fmt(board.period_end)}`;
  }

  function render() {
    if (!data || data.boards.length === 0) return;
    const board = data.boards[current % data.boards.length];
    $("workshop-name").textContent = board.workshop.name;
    $("week").textContent = dates(board);
    const top = $("top");
    top.replaceChildren();
    for (const row of board.top) {
      const li = el("li", `rank-${row.rank}`);
      li.dataset.code = row.code;
      li.append(el("span", "rank", String(row.rank)), avatar(row), el("span", "name", row.name));
      if (row.tier) li.append(tierStars(row.tier));
      li.append(points(row.total, "points"));
      top.appendChild(li);
    }
    const empty = $("empty");
    empty.hidden = board.top.length > 0;
    empty.textContent = board.no_scheme ? t.no_scheme : t.empty;
    const improved = $("improved");
    improved.replaceChildren();
    for (const row of board.improved) {
      const li = el("li");
      li.dataset.code = row.code;
      li.append(avatar(row), el("span", "name", row.name), el("span", "gain", `+${row.improvement}`));
      improved.appendChild(li);
    }
    if (board.improved.length === 0) improved.appendChild(el("li", "quiet", t.no_improved));
    // The last closed month's star (settled) and, apart, the running month's leader (live).
    const star = $("star");
    star.replaceChildren();
    if (board.star) {
      star.append(starIcon(), avatar(board.star), el("span", "name", board.star.name),
        el("span", "gain", `+${board.star.improvement}`));
    }
    star.hidden = !board.star;
    $("star-title").textContent = board.star ? starTitle(board.star.month) : t.star;
    const soFar = $("so-far");
    soFar.replaceChildren();
    if (board.so_far) {
      soFar.append(el("span", "so-far-label", t.so_far), avatar(board.so_far),
        el("span", "name", board.so_far.name), el("span", "gain", `+${board.so_far.improvement}`));
    }
    soFar.hidden = !board.so_far;
    $("star-panel").hidden = !board.star && !board.so_far;
  }

  // A fault: a warning triangle; a quality issue: a warning circle. Named for screen readers.
  function alertIcon(kind) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", "alert-icon");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", t[`alert_${kind}`] || kind);
    const shape = document.createElementNS(ns, kind === "quality_issue" ? "circle" : "path");
    if (kind === "quality_issue") {
      shape.setAttribute("cx", "12"); shape.setAttribute("cy", "12"); shape.setAttribute("r", "11");
    } else {
      shape.setAttribute("d", "M12 1.5 23.5 21.5H.5z");
    }
    shape.setAttribute("fill", "#ffd257");
    const mark = document.createElementNS(ns, "path");
    mark.setAttribute("d", kind === "quality_issue" ? "M10.8 5h2.4v9h-2.4zM10.8 16h2.4v2.6h-2.4z"
      : "M10.8 8h2.4v7.5h-2.4zM10.8 17h2.4v2.4h-2.4z");
    mark.setAttribute("fill", "#7a0d0d");
    svg.append(shape, mark);
    return svg;
  }

  // Every board's alerts (a display for all workshops shows each workshop's), oldest first.
  function openAlerts() {
    if (!data) return [];
    const many = data.boards.length > 1;
    const found = [];
    for (const board of data.boards) {
      for (const alert of board.alerts || []) {
        found.push(Object.assign({ workshopName: many ? board.workshop.name : "" }, alert));
      }
    }
    return found.sort((a, b) => Date.parse(a.opened_at) - Date.parse(b.opened_at));
  }

  function minutesOpen(alert) {
    const opened = Date.parse(alert.opened_at);
    if (Number.isNaN(opened)) return 0;
    return Math.max(0, Math.floor((Date.now() + serverOffsetMs - opened) / 60000));
  }

  // A line too long for the banner gets smaller, down to a floor, before it is cut with "…".
  function fit(node, maxRem, minRem) {
    let size = maxRem;
    node.style.fontSize = `${size}rem`;
    const cut = () => [...node.children].some((n) => n.scrollWidth > n.clientWidth + 1);
    while (cut() && size > minRem) {
      size = Math.max(minRem, size - 0.05);
      node.style.fontSize = `${size}rem`;
    }
  }

  // One alert at a time, each for ALERT_MS, in two lines: what stands (the machine, or the
  // kind of issue where no machine was named) and for how long; then where (on a display
  // for every workshop), the kind and the reason. Who reported it is not the hall's.
  function alertItem(alert, index, count) {
    const li = el("li");
    li.dataset.alert = String(alert.id);
    li.dataset.kind = alert.kind;
    const kind = t[`alert_${alert.kind}`] || alert.kind;
    const machine = alert.machine_name || alert.machine;
    const main = el("div", "alert-main");
    main.append(alertIcon(alert.kind), el("span", "alert-what", machine || kind),
      el("span", "alert-minutes", t.alert_minutes.replace("{n}", String(minutesOpen(alert)))));
    const detail = el("div", "alert-detail");
    // the reason's name HR gave it (services/production/reasons.py), else its code
    const reason = (t.lang === "en" && alert.reason_name_en) || alert.reason_name || alert.reason;
    const about = [alert.workshopName, machine ? kind : "", reason || ""].filter(Boolean);
    detail.append(el("span", "alert-about", about.join(" · ") || kind));
    if (count > 1) detail.append(el("span", "alert-count", `${index + 1}/${count}`));
    li.append(main, detail);
    return li;
  }

  function renderAlerts() {
    const alerts = openAlerts();
    const list = $("alert-list");
    list.replaceChildren();
    $("alerts").hidden = alerts.length === 0;
    document.body.classList.toggle("alerting", alerts.length > 0);
    if (alerts.length === 0) return;
    alertTurn %= alerts.length;
    alerts.forEach((alert, index) => {
      const li = alertItem(alert, index, alerts.length);
      li.hidden = index !== alertTurn;
      list.appendChild(li);
      if (!li.hidden) {
        fit(li.querySelector(".alert-main"), 1.9, 1.5);
        fit(li.querySelector(".alert-detail"), 1.5, 1.2);
      }
    });
  }

  // "2026-11" -> "11月进步之星" / "Improvement star of November".
  function starTitle(month) {
    const number = Number(month.split("-")[1]);
    return t.star_of.replace("{month}", t.months.split(",")[number - 1] || month);
  }

  function showStatus(online) {
    $("offline").hidden = online;
    if (lastUpdate) {
      const time = lastUpdate.toLocaleTimeString(t.lang, { hour12: false, timeZone: zone });
      $("updated").textContent = `${t.updated} ${time}`;
    }
  }

  async function poll() {
    try {
      const headers = etag ? { "If-None-Match": etag } : {};
      const response = await fetch(boardUrl, { headers, cache: "no-store" });
      if (response.status === 403 || response.status === 404) {
        window.location.reload();
        return;
      }
      const date = Date.parse(response.headers.get("Date") || "");
      if (!Number.isNaN(date)) serverOffsetMs = date - Date.now();
      if (response.status === 200) {
        etag = response.headers.get("ETag");
        data = await response.json();
        render();
        renderAlerts();
      } else if (response.status !== 304) {
        throw new Error(`status ${response.status}`);
      }
      lastUpdate = new Date();
      showStatus(true);
    } catch (error) {
      showStatus(false);
    } finally {
      setTimeout(poll, pollMs);
    }
  }

  // The factory's wall clock, whatever zone the TV itself was set to.
  function tick() {
    const parts = {};
    const format = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, month: "numeric", day: "numeric", weekday: "short",
      hour: "2-digit", minute: "2-digit", hour12: false,
    });
    for (const part of format.formatToParts(new Date())) parts[part.type] = part.value;
    const weekday = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].indexOf(parts.weekday);
    const day = t.weekdays.split(",")[weekday];
    $("clock").textContent = `${parts.month}/${parts.day} ${day} ${parts.hour}:${parts.minute}`;
  }

  setInterval(() => {
    if (data && data.boards.length > 1) { current += 1; render(); }
  }, rotateMs);
  setInterval(tick, 1000);
  setInterval(() => { alertTurn += 1; renderAlerts(); }, ALERT_MS); // the next, minutes on
  tick();
  poll();
})();
