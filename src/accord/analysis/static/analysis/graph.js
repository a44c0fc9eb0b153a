/* The campaign graph: fetches the graph API and draws it in SVG with a small force layout
   (repulsion between every pair of nodes, springs along edges, a pull to the centre).
   Objects are circles, coloured by TLP, source organisation or STIX type; observables are squares.
   The drawing zooms (buttons, wheel), pans (drag the background), and fits itself with its labels;
   a click on a node shows it, *Expand* (or a double click) adds its neighbours beyond the campaign
   (GET …/graph/?expand=<node>). Nothing here is inline: the page's CSP allows 'self' scripts only. */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var TLP = { clear: "#ffffff", green: "#33ff00", amber: "#ffc000", "amber+strict": "#ffc000", red: "#ff2b2b" };
  var PALETTE = ["#0b5cad", "#d9480f", "#2b8a3e", "#862e9c", "#c2255c", "#e67700", "#1098ad", "#5c940d",
                 "#364fc7", "#a61e4d", "#087f5b", "#495057"];
  var svg = document.getElementById("campaign-graph");
  if (!svg) { return; }
  var status = document.getElementById("campaign-graph-status");
  var legend = document.getElementById("campaign-graph-legend");
  var details = document.getElementById("campaign-graph-details");
  var colourBy = document.getElementById("graph-colour");
  var W = 900, H = 520;
  var nodes = [], links = [], byId = {}, view = null, home = null, selected = null, mode = "tlp";
  var viewport = el("g", { "class": "viewport" }, svg);
  var edgeLayer = el("g", { "class": "edges", stroke: "#8a97a8", "stroke-width": "1.2" }, viewport);
  var nodeLayer = el("g", { "class": "nodes" }, viewport);

  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function layout(all, edges) {
    all.forEach(function (n, i) {
      var angle = (2 * Math.PI * i) / all.length;
      n.x = W / 2 + 180 * Math.cos(angle);
      n.y = H / 2 + 180 * Math.sin(angle);
      n.vx = 0; n.vy = 0;
    });
    var k = Math.sqrt((W * H) / Math.max(all.length, 1)) * 0.6;
    for (var step = 0; step < 300; step++) {
      var cooling = 1 - step / 300;
      for (var i = 0; i < all.length; i++) {
        for (var j = i + 1; j < all.length; j++) {
          var a = all[i], b = all[j];
          var dx = a.x - b.x, dy = a.y - b.y;
          var d2 = Math.max(dx * dx + dy * dy, 0.01), d = Math.sqrt(d2);
          var push = (k * k) / d2;
          a.vx += (dx / d) * push; a.vy += (dy / d) * push;
          b.vx -= (dx / d) * push; b.vy -= (dy / d) * push;
        }
      }
      edges.forEach(function (l) {
        var dx = l.t.x - l.s.x, dy = l.t.y - l.s.y;
        var d = Math.max(Math.sqrt(dx * dx + dy * dy), 0.01);
        var pull = (d - k) * 0.05;
        l.s.vx += (dx / d) * pull; l.s.vy += (dy / d) * pull;
        l.t.vx -= (dx / d) * pull; l.t.vy -= (dy / d) * pull;
      });
      all.forEach(function (n) {
        n.vx += (W / 2 - n.x) * 0.01; n.vy += (H / 2 - n.y) * 0.01;
        var speed = Math.sqrt(n.vx * n.vx + n.vy * n.vy), limit = 20 * cooling + 0.5;
        if (speed > limit) { n.vx *= limit / speed; n.vy *= limit / speed; }
        n.x += n.vx; n.y += n.vy;
        n.vx *= 0.5; n.vy *= 0.5;
      });
    }
  }

  function short(text) {
    text = String(text || "");
    return text.length > 32 ? text.slice(0, 31) + "…" : text;
  }

  /* Colours of the current mode: a node's fill, and the legend's entries. */
  var keyColours = {};
  function keyOf(n) {
    if (mode === "organisation") { return n.organisation || "Source not disclosed"; }
    if (mode === "type") { return n.type; }
    return "TLP:" + String(n.tlp).toUpperCase();
  }
  function fill(n) {
    if (n.kind !== "object") { return "#0b5cad"; }
    if (mode === "tlp") { return TLP[n.tlp] || "#cccccc"; }
    var key = keyOf(n);
    if (key === "Source not disclosed") { return "#adb5bd"; }
    if (!(key in keyColours)) { keyColours[key] = PALETTE[Object.keys(keyColours).length % PALETTE.length]; }
    return keyColours[key];
  }
  function recolour() {
    keyColours = {};
    var seen = {};
    nodes.forEach(function (n) {
      if (n.kind !== "object") { return; }
      var colour = fill(n);
      n.shape.setAttribute("fill", colour);
      seen[keyOf(n)] = colour;
    });
    if (!legend) { return; }
    legend.textContent = "";
    Object.keys(seen).sort().forEach(function (key) {
      var item = document.createElement("li");
      var swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.setAttribute("data-colour", seen[key]);
      var dot = el("svg", { width: 12, height: 12, "aria-hidden": "true" }, swatch);
      el("circle", { cx: 6, cy: 6, r: 5, fill: seen[key], stroke: "#10213a" }, dot);
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(" " + key));
      legend.appendChild(item);
    });
    var square = document.createElement("li");
    square.textContent = "■ observable joining objects";
    legend.appendChild(square);
  }

  function addNode(n) {
    var g = el("g", { "class": "node node-" + n.kind, "data-id": n.id, tabindex: 0, role: "button" }, nodeLayer);
    var title = el("title", {}, g);
    if (n.kind === "object") {
      n.shape = el("circle", { r: 11, fill: TLP[n.tlp] || "#cccccc", stroke: "#10213a", "stroke-width": 2 }, g);
      title.textContent = n.label + " · " + n.type + " · TLP:" + String(n.tlp).toUpperCase() +
        (n.organisation ? " · " + n.organisation : "");
    } else {
      n.shape = el("rect", { x: -7, y: -7, width: 14, height: 14, fill: "#0b5cad", stroke: "#ffffff", "stroke-width": 1.5 }, g);
      title.textContent = n.type + " " + n.label;
    }
    var label = el("text", { x: 0, y: 24, "text-anchor": "middle", "font-size": 11, fill: "#1c2430", "class": "label" }, g);
    label.textContent = short(n.label);
    n.el = g;
    place(n);
    g.addEventListener("pointerdown", function (event) { startDrag(n, event); });
    g.addEventListener("dblclick", function () { expand(n); });
    g.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { select(n); }
      if (event.key === "+") { expand(n); }
    });
    nodes.push(n);
    byId[n.id] = n;
  }

  function addLink(sourceId, targetId) {
    var s = byId[sourceId], t = byId[targetId];
    if (!s || !t) { return; }
    for (var i = 0; i < links.length; i++) {
      if ((links[i].s === s && links[i].t === t) || (links[i].s === t && links[i].t === s)) { return; }
    }
    var l = { s: s, t: t };
    l.line = el("line", {}, edgeLayer);
    links.push(l);
    moveLine(l);
  }

  function place(n) { n.el.setAttribute("transform", "translate(" + n.x + "," + n.y + ")"); }
  function moveLine(l) {
    l.line.setAttribute("x1", l.s.x); l.line.setAttribute("y1", l.s.y);
    l.line.setAttribute("x2", l.t.x); l.line.setAttribute("y2", l.t.y);
  }

  /* The view: a viewBox over the drawing. Zoom scales it about a point, pan moves it, and the
     home view holds every node with its label. */
  function setView(v) {
    view = v;
    svg.setAttribute("viewBox", [v.x, v.y, v.w, v.h].join(" "));
    svg.setAttribute("data-zoom", (home.w / v.w).toFixed(2));
  }
  function fitAll() {
    var box = viewport.getBBox();
    var pad = 24, w = Math.max(box.width + 2 * pad, 200), h = Math.max(box.height + 2 * pad, 160);
    var ratio = W / H;
    if (w / h < ratio) { w = h * ratio; } else { h = w / ratio; }
    home = { x: box.x + box.width / 2 - w / 2, y: box.y + box.height / 2 - h / 2, w: w, h: h };
    setView(home);
  }
  function zoom(factor, cx, cy) {
    var w = Math.min(Math.max(view.w / factor, home.w / 8), home.w * 4), h = w * (view.h / view.w);
    cx = cx === undefined ? view.x + view.w / 2 : cx;
    cy = cy === undefined ? view.y + view.h / 2 : cy;
    setView({ x: cx - (cx - view.x) * (w / view.w), y: cy - (cy - view.y) * (h / view.h), w: w, h: h });
  }
  function toDrawing(event) {
    var box = svg.getBoundingClientRect();
    var scale = Math.max(view.w / box.width, view.h / box.height);
    var offsetX = (box.width - view.w / scale) / 2, offsetY = (box.height - view.h / scale) / 2;
    return { x: view.x + (event.clientX - box.left - offsetX) * scale, y: view.y + (event.clientY - box.top - offsetY) * scale };
  }

  var dragged = null, panning = null, moved = false;
  function startDrag(n, event) { dragged = n; moved = false; event.preventDefault(); event.stopPropagation(); }
  svg.addEventListener("pointerdown", function (event) {
    if (!view || dragged) { return; }
    panning = { x: event.clientX, y: event.clientY, view: view };
    svg.classList.add("panning");
  });
  svg.addEventListener("pointermove", function (event) {
    if (dragged) {
      var p = toDrawing(event);
      moved = true;
      dragged.x = p.x; dragged.y = p.y;
      place(dragged);
      links.forEach(function (l) { if (l.s === dragged || l.t === dragged) { moveLine(l); } });
    } else if (panning) {
      var box = svg.getBoundingClientRect();
      var scale = Math.max(view.w / box.width, view.h / box.height);
      var start = panning.view;
      setView({ x: start.x - (event.clientX - panning.x) * scale, y: start.y - (event.clientY - panning.y) * scale, w: start.w, h: start.h });
    }
  });
  window.addEventListener("pointerup", function () {
    if (dragged && !moved) { select(dragged); }
    dragged = null; panning = null;
    svg.classList.remove("panning");
  });
  svg.addEventListener("wheel", function (event) {
    if (!view) { return; }
    event.preventDefault();
    var p = toDrawing(event);
    zoom(event.deltaY < 0 ? 1.2 : 1 / 1.2, p.x, p.y);
  }, { passive: false });

  function button(name, action) {
    var b = document.querySelector("[data-graph=" + name + "]");
    if (b) { b.addEventListener("click", action); }
  }
  button("zoom-in", function () { zoom(1.4); });
  button("zoom-out", function () { zoom(1 / 1.4); });
  button("fit", function () { fitAll(); });
  button("expand", function () { if (selected) { expand(selected); } });
  if (colourBy) { colourBy.addEventListener("change", function () { mode = colourBy.value; recolour(); }); }

  function select(n) {
    if (selected && selected.el) { selected.el.classList.remove("selected"); }
    selected = n;
    n.el.classList.add("selected");
    if (!details) { return; }
    details.hidden = false;
    var name = details.querySelector("[data-field=name]"), facts = details.querySelector("[data-field=facts]");
    var open = details.querySelector("[data-field=open]");
    name.textContent = n.label;
    var number = n.id.split(":")[1];
    if (n.kind === "object") {
      facts.textContent = n.type + " · TLP:" + String(n.tlp).toUpperCase() + " · " + (n.organisation || "source not disclosed");
      open.setAttribute("href", svg.getAttribute("data-object-url").replace("__key__", encodeURIComponent(n.stix_id)));
      open.textContent = "Open the object";
    } else {
      facts.textContent = n.type + (n.expanded ? "" : " · joins objects of this campaign");
      open.setAttribute("href", svg.getAttribute("data-observable-url").replace("__key__", number));
      open.textContent = "Who reported it";
    }
    var expandButton = details.querySelector("[data-graph=expand]");
    expandButton.disabled = !!n.expanded;
    expandButton.textContent = n.expanded ? "Expanded" : "Expand its neighbours";
  }

  function expand(n) {
    if (n.expanded) { return; }
    n.expanded = true;
    if (selected === n) { select(n); }
    var url = svg.getAttribute("data-url") + "?expand=" + encodeURIComponent(n.id);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 404) { return { nodes: [], edges: [] }; }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (graph) {
        var fresh = graph.nodes.filter(function (m) { return !byId[m.id]; });
        fresh.forEach(function (m, i) {
          var angle = (2 * Math.PI * i) / Math.max(fresh.length, 1);
          var radius = 70 + 6 * fresh.length;
          m.x = n.x + radius * Math.cos(angle);
          m.y = n.y + radius * Math.sin(angle);
          addNode(m);
        });
        graph.edges.forEach(function (e) { addLink(e.source, e.target); });
        recolour();
        report("; " + short(n.label) + " expanded: " + fresh.length + " new" +
          (graph.truncated ? " (the first " + graph.nodes.length + " shown)" : ""));
        svg.setAttribute("data-expanded", String(Number(svg.getAttribute("data-expanded") || 0) + 1));
      })
      .catch(function (error) { n.expanded = false; report("; expanding failed: " + error.message); });
  }

  var summary = "";
  function report(extra) { status.textContent = summary + (extra || "") + "."; }

  function draw(graph) {
    graph.nodes.forEach(function (n) { byId[n.id] = n; });
    var edges = graph.edges.map(function (e) { return { s: byId[e.source], t: byId[e.target] }; })
      .filter(function (l) { return l.s && l.t; });
    layout(graph.nodes, edges);
    byId = {};
    graph.nodes.forEach(addNode);
    graph.edges.forEach(function (e) { addLink(e.source, e.target); });
    recolour();
    fitAll();
    var objects = nodes.filter(function (n) { return n.kind === "object"; }).length;
    summary = objects + " objects, " + (nodes.length - objects) + " linking observables" +
      (graph.truncated ? " (only the first objects are drawn)" : "");
    report();
  }

  fetch(svg.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    })
    .then(draw)
    .catch(function (error) { status.textContent = "The graph could not be loaded: " + error.message; });
})();
