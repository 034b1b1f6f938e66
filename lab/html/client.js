// The report page's script, inlined into the page after Apache ECharts (see page.ts): draws
// every chart described in the page's JSON data, and keeps the pCPU timeline's rectangles as
// a custom series (the one thing plain option JSON cannot say). Plain ES2019, no modules, no
// network. It leaves `window.pvlabCharts` ([{id, chart, finished}]) for tests and the curious,
// and sets `data-charts-rendered` on <body> once every chart has finished rendering.
/* global echarts */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('pvlab-data').textContent);
  var charts = [];
  window.pvlabCharts = charts;

  function renderSlice(params, api) {
    var row = api.value(0);
    var start = api.coord([api.value(1), row]);
    var end = api.coord([api.value(2), row]);
    var height = api.size([0, 1])[1] * 0.7;
    var rect = echarts.graphic.clipRectByRect(
      { x: start[0], y: start[1] - height / 2, width: Math.max(1, end[0] - start[0]), height: height },
      { x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height }
    );
    return rect && { type: 'rect', transition: [], shape: rect, style: api.style() };
  }

  function timelineOption(spec) {
    var t = spec.timeline;
    var option = spec.option;
    option.series.forEach(function (s, i) {
      s.renderItem = renderSlice;
      s.data = t.slices.filter(function (x) { return x[3] === i; });
    });
    option.tooltip.formatter = function (p) {
      var v = p.value;
      return p.seriesName + ' vCPU ' + v[4] + ' on pCPU ' + t.pcpus[v[0]] + '<br>' +
        v[1].toFixed(3) + ' ms to ' + v[2].toFixed(3) + ' ms (' + ((v[2] - v[1]) * 1000).toFixed(1) + ' µs)';
    };
    return option;
  }

  function draw(spec) {
    var el = document.getElementById(spec.id);
    var chart = echarts.init(el, null, { renderer: 'canvas' });
    var entry = { id: spec.id, chart: chart, finished: false };
    charts.push(entry);
    chart.on('finished', function () {
      if (entry.finished) return;
      entry.finished = true;
      if (charts.every(function (c) { return c.finished; }) && charts.length === data.charts.length) {
        document.body.setAttribute('data-charts-rendered', String(charts.length));
      }
    });
    chart.setOption(spec.kind === 'timeline' ? timelineOption(spec) : spec.option);
  }

  data.charts.forEach(draw);
  window.addEventListener('resize', function () {
    charts.forEach(function (c) { c.chart.resize(); });
  });
})();
