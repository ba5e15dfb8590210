// The wall display: poll board.json with If-None-Match, render, rotate workshops,
// keep a clock, and show when the server could not be reached.
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
      if (response.status === 200) {
        etag = response.headers.get("ETag");
        data = await response.json();
        render();
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
  tick();
  poll();
})();
