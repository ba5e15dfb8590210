// Shopfloor admin: small progressive enhancements. Every page works without them.
"use strict";

function drawCharts() {
  if (typeof echarts === "undefined") return;
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var source = document.getElementById(el.dataset.chart);
    if (!source) return;
    var option = JSON.parse(source.textContent);
    // The chart keeps the page's name (its title) and text description (aria-describedby):
    // ECharts' generated label would list every raw value, nulls as "NaN".
    if (option.aria) option.aria.label = { description: el.getAttribute("aria-label") };
    // ECharts' own words (aria parts, no-data text) in the page's language, not the browser's.
    var locale = document.documentElement.lang.indexOf("zh") === 0 ? "ZH" : "EN";
    var chart = echarts.init(el, null, { renderer: "canvas", locale: locale });
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  });
}

function wireSelectAll() {
  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      var form = box.form || document;
      form.querySelectorAll('input[type=checkbox][name="' + box.dataset.selectAll + '"]')
        .forEach(function (item) { item.checked = box.checked; });
    });
  });
}

function wireConfirm() {
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
}

function wireAutosubmit() {
  document.querySelectorAll("[data-autosubmit]").forEach(function (input) {
    input.addEventListener("change", function () { input.form.submit(); });
  });
}

function wirePolling() {
  document.querySelectorAll("[data-poll]").forEach(function (el) {
    var refresh = function () {
      fetch(el.dataset.poll, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) { if (html !== null) el.innerHTML = html; })
        .catch(function () { /* the next round tries again */ });
    };
    setInterval(refresh, 3000);
  });
}

document.addEventListener("DOMContentLoaded", function () {
  drawCharts();
  wireSelectAll();
  wireConfirm();
  wireAutosubmit();
  wirePolling();
});
