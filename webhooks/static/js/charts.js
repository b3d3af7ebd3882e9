// Data page: draws the charts from the numbers in <script id="data-figures"> with Chart.js
// (static/vendor/chart.js). Without JS (or Chart.js) the tables under each chart carry the same numbers.
(function () {
  "use strict";
  var source = document.getElementById("data-figures");
  if (!source || !window.Chart) { return; }
  var figures;
  try { figures = JSON.parse(source.textContent); } catch (e) { return; }

  // Okabe-Ito and friends: distinguishable with the common colour-vision deficiencies, one per category.
  var PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C564B", "#F0E442",
                 "#7F7F7F", "#332288", "#44AA99", "#882255"];
  var CATEGORY_ORDER = figures.by_category.keys;
  function categoryColour(key) {
    var i = CATEGORY_ORDER.indexOf(key);
    return PALETTE[(i < 0 ? CATEGORY_ORDER.length : i) % PALETTE.length];
  }
  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  Chart.defaults.animation = still ? false : {duration: 250};
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.locale = window.streetline.locale;  // tick numbers the organizer's way

  function wrap(name) { return document.querySelector('[data-chart-wrap="' + name + '"]'); }

  function draw(name, config, rows) {
    var box = wrap(name);
    var canvas = document.getElementById("chart-" + name);
    if (!box || !canvas) { return; }
    box.hidden = false;
    if (rows) { box.style.height = Math.max(220, 30 * rows + 60) + "px"; }  // one readable bar per row
    new Chart(canvas, config);
    canvas.setAttribute("data-drawn", "yes");
  }

  var integerTicks = {precision: 0, beginAtZero: true};

  function bars(name, series, options) {
    options = options || {};
    var horizontal = !!options.horizontal;
    var values = series.values, labels = series.labels, keys = series.keys;
    if (options.skipZeros) {
      var kept = values.map(function (v, i) { return v > 0 ? i : -1; }).filter(function (i) { return i >= 0; });
      values = kept.map(function (i) { return series.values[i]; });
      labels = kept.map(function (i) { return series.labels[i]; });
      keys = kept.map(function (i) { return series.keys[i]; });
    }
    var colours = options.colours ? keys.map(options.colours) : PALETTE[0];
    var scales = {};
    scales[horizontal ? "x" : "y"] = {ticks: integerTicks, beginAtZero: true};
    draw(name, {
      type: "bar",
      data: {labels: labels, datasets: [{label: options.label, data: values, backgroundColor: colours}]},
      options: {indexAxis: horizontal ? "y" : "x", plugins: {legend: {display: false}}, scales: scales},
    }, horizontal ? labels.length : 0);
  }

  var t = window.streetline.t;  // dataset names in the page's language; labels come translated in the JSON
  bars("category", figures.by_category, {horizontal: true, label: t("reports"), skipZeros: true, colours: categoryColour});
  bars("place", figures.by_place, {horizontal: true, label: t("reports")});
  bars("members-trade", figures.members_by_trade, {horizontal: true, label: t("members"), skipZeros: true});
  bars("members-place", figures.members_by_place, {horizontal: true, label: t("members")});

  var week = figures.by_week;
  draw("week", {
    type: "bar",
    data: {
      labels: week.labels,
      datasets: week.categories.map(function (key, i) {
        return {label: week.category_labels[i], data: week.counts[i], backgroundColor: categoryColour(key)};
      }),
    },
    options: {
      plugins: {legend: {position: "bottom"}, tooltip: {mode: "index", intersect: false}},
      scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true, ticks: integerTicks}},
    },
  });
})();
