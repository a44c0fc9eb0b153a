/* The campaign graph: fetches the graph API and draws it in SVG with a small force layout
   (repulsion between every pair of nodes, springs along edges, a pull to the centre).
   Objects are circles filled with their TLP colour; observables are squares. */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var TLP = { clear: "#ffffff", green: "#33ff00", amber: "#ffc000", "amber+strict": "#ffc000", red: "#ff2b2b" };
  var svg = document.getElementById("campaign-graph");
  if (!svg) { return; }
  var status = document.getElementById("campaign-graph-status");
  var W = 900, H = 520;

  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function layout(nodes, edges) {
    var byId = {};
    nodes.forEach(function (n, i) {
      var angle = (2 * Math.PI * i) / nodes.length;
      n.x = W / 2 + 180 * Math.cos(angle);
      n.y = H / 2 + 180 * Math.sin(angle);
      n.vx = 0; n.vy = 0;
      byId[n.id] = n;
    });
    var links = edges.map(function (e) { return { s: byId[e.source], t: byId[e.target] }; })
      .filter(function (l) { return l.s && l.t; });
    var k = Math.sqrt((W * H) / Math.max(nodes.length, 1)) * 0.6;
    for (var step = 0; step < 300; step++) {
      var cooling = 1 - step / 300;
      for (var i = 0; i < nodes.length; i++) {
        for (var j = i + 1; j < nodes.length; j++) {
          var a = nodes[i], b = nodes[j];
          var dx = a.x - b.x, dy = a.y - b.y;
          var d2 = Math.max(dx * dx + dy * dy, 0.01), d = Math.sqrt(d2);
          var push = (k * k) / d2;
          a.vx += (dx / d) * push; a.vy += (dy / d) * push;
          b.vx -= (dx / d) * push; b.vy -= (dy / d) * push;
        }
      }
      links.forEach(function (l) {
        var dx = l.t.x - l.s.x, dy = l.t.y - l.s.y;
        var d = Math.max(Math.sqrt(dx * dx + dy * dy), 0.01);
        var pull = (d - k) * 0.05;
        l.s.vx += (dx / d) * pull; l.s.vy += (dy / d) * pull;
        l.t.vx -= (dx / d) * pull; l.t.vy -= (dy / d) * pull;
      });
      nodes.forEach(function (n) {
        n.vx += (W / 2 - n.x) * 0.01; n.vy += (H / 2 - n.y) * 0.01;
        var speed = Math.sqrt(n.vx * n.vx + n.vy * n.vy), limit = 20 * cooling + 0.5;
        if (speed > limit) { n.vx *= limit / speed; n.vy *= limit / speed; }
        n.x = Math.min(W - 30, Math.max(30, n.x + n.vx));
        n.y = Math.min(H - 20, Math.max(20, n.y + n.vy));
        n.vx *= 0.5; n.vy *= 0.5;
      });
    }
    fit(nodes);
    return links;
  }

  function fit(nodes) {
    /* Spread the settled layout over the drawing, keeping its proportions. */
    var xs = nodes.map(function (n) { return n.x; }), ys = nodes.map(function (n) { return n.y; });
    var minX = Math.min.apply(null, xs), maxX = Math.max.apply(null, xs);
    var minY = Math.min.apply(null, ys), maxY = Math.max.apply(null, ys);
    var scale = Math.min((W - 220) / Math.max(maxX - minX, 1), (H - 80) / Math.max(maxY - minY, 1), 2.5);
    nodes.forEach(function (n) {
      n.x = W / 2 + (n.x - (minX + maxX) / 2) * scale;
      n.y = H / 2 + (n.y - (minY + maxY) / 2) * scale;
    });
  }

  function short(text) {
    text = String(text || "");
    return text.length > 28 ? text.slice(0, 27) + "…" : text;
  }

  function draw(graph) {
    var nodes = graph.nodes, links = layout(nodes, graph.edges);
    var edgeLayer = el("g", { "class": "edges", stroke: "#8a97a8", "stroke-width": "1.2" }, svg);
    var nodeLayer = el("g", { "class": "nodes" }, svg);
    links.forEach(function (l) {
      l.line = el("line", { x1: l.s.x, y1: l.s.y, x2: l.t.x, y2: l.t.y }, edgeLayer);
    });
    nodes.forEach(function (n) {
      var g = el("g", { "class": "node node-" + n.kind, "data-id": n.id, transform: "translate(" + n.x + "," + n.y + ")" }, nodeLayer);
      var title = el("title", {}, g);
      if (n.kind === "object") {
        el("circle", { r: 11, fill: TLP[n.tlp] || "#cccccc", stroke: "#10213a", "stroke-width": 2 }, g);
        title.textContent = n.type + " · " + n.stix_id + " · TLP:" + String(n.tlp).toUpperCase() +
          (n.organisation ? " · " + n.organisation : "");
      } else {
        el("rect", { x: -7, y: -7, width: 14, height: 14, fill: "#0b5cad", stroke: "#ffffff", "stroke-width": 1.5 }, g);
        title.textContent = n.type + " " + n.label;
      }
      var label = el("text", { x: 14, y: 4, "font-size": 11, fill: "#1c2430" }, g);
      label.textContent = short(n.label);
      n.el = g;
    });
    enableDrag(nodes, links);
    var objects = nodes.filter(function (n) { return n.kind === "object"; }).length;
    status.textContent = objects + " objects, " + (nodes.length - objects) + " linking observables" +
      (graph.truncated ? " (only the first objects are drawn)" : "") + ".";
  }

  function enableDrag(nodes, links) {
    var dragged = null;
    function point(event) {
      var box = svg.getBoundingClientRect();
      return { x: ((event.clientX - box.left) / box.width) * W, y: ((event.clientY - box.top) / box.height) * H };
    }
    nodes.forEach(function (n) {
      n.el.addEventListener("pointerdown", function (event) { dragged = n; event.preventDefault(); });
    });
    svg.addEventListener("pointermove", function (event) {
      if (!dragged) { return; }
      var p = point(event);
      dragged.x = p.x; dragged.y = p.y;
      dragged.el.setAttribute("transform", "translate(" + p.x + "," + p.y + ")");
      links.forEach(function (l) {
        if (l.s === dragged || l.t === dragged) {
          l.line.setAttribute("x1", l.s.x); l.line.setAttribute("y1", l.s.y);
          l.line.setAttribute("x2", l.t.x); l.line.setAttribute("y2", l.t.y);
        }
      });
    });
    window.addEventListener("pointerup", function () { dragged = null; });
  }

  fetch(svg.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    })
    .then(draw)
    .catch(function (error) { status.textContent = "The graph could not be loaded: " + error.message; });
})();
