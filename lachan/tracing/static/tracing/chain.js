/* The transmission chain drawn with vis-network (served by the platform, no CDN). The data comes from the page's
   json_script; the same cases are listed in the table below the graph. */
(function () {
  "use strict";
  var container = document.querySelector("[data-graph]");
  var source = container && document.getElementById(container.dataset.graph);
  if (!container || !source || typeof vis === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var style = {
    "case": { color: { background: "#f1aeb5", border: "#b02a37" }, shape: "box", borderWidth: 2 },
    "outside": { color: { background: "#ffffff", border: "#b02a37" }, shape: "box", borderWidth: 2,
                 shapeProperties: { borderDashes: [4, 3] } },
    "f1": { color: { background: "#fff3cd", border: "#b58100" }, shape: "dot", size: 9 },
    "f2": { color: { background: "#e7f1ff", border: "#3d6fb6" }, shape: "dot", size: 6 }
  };
  var nodes = data.nodes.map(function (n) {
    var kind = n.kind === "case" && n.outside ? "outside" : n.kind;
    var node = Object.assign({ id: n.id, label: n.label, title: n.title, url: n.url || "" }, style[kind] || {});
    if (kind === "f1" || kind === "f2") { node.font = { size: 11, color: "#333" }; }
    return node;
  });
  var edges = data.edges.map(function (e, i) {
    var infected = e.kind === "infected";
    return { id: i, from: e.from, to: e.to, arrows: "to", width: infected ? 3 : 1,
             color: { color: infected ? "#b02a37" : "#9aa5b1" },
             title: infected ? data.labels.infected + (e.tier ? " (F" + e.tier + ")" : "") : "" };
  });
  var network = new vis.Network(container, { nodes: new vis.DataSet(nodes), edges: new vis.DataSet(edges) }, {
    autoResize: true,
    nodes: { font: { face: "system-ui, sans-serif", size: 13 } },
    edges: { smooth: false },
    interaction: { hover: true, tooltipDelay: 150, navigationButtons: false, keyboard: false },
    physics: { solver: "forceAtlas2Based", stabilization: { iterations: 250, fit: true },
               forceAtlas2Based: { gravitationalConstant: -40, springLength: 60 } }
  });
  network.once("stabilizationIterationsDone", function () {
    network.setOptions({ physics: false });
    network.fit();
    container.dataset.drawn = "1";
  });
  network.on("click", function (params) {
    if (params.nodes.length !== 1) { return; }
    var node = network.body.data.nodes.get(params.nodes[0]);
    if (node && node.url) { window.location.href = node.url; }
  });
  container.dataset.nodes = String(nodes.length);
  container.dataset.edges = String(edges.length);
}());
