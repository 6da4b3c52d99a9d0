/* Draws a CI's impact graph (cmdb.graph.impact_graph, embedded as JSON) with Cytoscape.js.
   Nodes are coloured by class; the border shows the lifecycle state; the CI itself is ringed.
   Arrows go from a CI to what it depends on; links that do not carry impact are dashed. */
(function () {
  "use strict";

  var BORDER = {
    in_use: ["solid", 2, 1], maintenance: ["dashed", 3, 1], planned: ["dotted", 3, 1], in_stock: ["dotted", 3, 1],
    retired: ["solid", 2, 0.4], disposed: ["solid", 2, 0.3]
  };

  function elements(data, urlTemplate) {
    var nodes = data.nodes.map(function (n) {
      var border = BORDER[n.state] || BORDER.in_use;
      return {
        group: "nodes",
        classes: n.side === "self" ? "self" : (n.is_service ? "service" : ""),
        data: {
          id: String(n.id), label: n.name + "\n" + n.class, colour: n.colour, borderStyle: border[0],
          borderWidth: n.side === "self" ? 5 : border[1], opacity: border[2],
          url: urlTemplate.replace("/0/", "/" + n.id + "/"), title: n.name + " — " + n.class + " · " + n.state_label
        }
      };
    });
    var edges = data.edges.map(function (e) {
      return {
        group: "edges", classes: e.propagates ? "" : "passive",
        data: { id: "e" + e.id, source: String(e.source), target: String(e.target), label: e.label }
      };
    });
    return nodes.concat(edges);
  }

  function draw() {
    var container = document.getElementById("impact-graph");
    var source = document.getElementById("impact-graph-data");
    if (!container || !source || typeof window.cytoscape !== "function") { return; }
    var data = JSON.parse(source.textContent);
    var cy = window.cytoscape({
      container: container,
      elements: elements(data, container.dataset.urlTemplate),
      minZoom: 0.1,
      maxZoom: 3,
      style: [
        { selector: "node", style: {
          "background-color": "data(colour)", "label": "data(label)", "text-wrap": "wrap", "text-valign": "bottom",
          "text-margin-y": 4, "font-size": 10, "width": 28, "height": 28, "border-color": "#343a40",
          "border-style": "data(borderStyle)", "border-width": "data(borderWidth)", "opacity": "data(opacity)"
        } },
        { selector: "node.service", style: { "shape": "round-rectangle", "width": 36 } },
        { selector: "node.self", style: { "border-color": "#d63384", "width": 38, "height": 38 } },
        { selector: "edge", style: {
          "width": 1.5, "line-color": "#868e96", "target-arrow-color": "#868e96", "target-arrow-shape": "triangle",
          "curve-style": "bezier", "label": "data(label)", "font-size": 8, "color": "#6c757d",
          "text-rotation": "autorotate", "text-background-color": "#fbfcfe", "text-background-opacity": 1
        } },
        { selector: "edge.passive", style: { "line-style": "dashed" } }
      ],
      layout: { name: "breadthfirst", directed: true, spacingFactor: 1.15, padding: 20, animate: false }
    });
    cy.on("tap", "node", function (event) {
      var url = event.target.data("url");
      if (event.target.data("id") !== container.dataset.ci && url) { window.location.href = url; }
    });
    cy.on("mouseover", "node", function (event) { container.title = event.target.data("title"); });
    document.querySelectorAll("[data-graph-action]").forEach(function (button) {
      button.addEventListener("click", function () {
        var action = button.dataset.graphAction;
        if (action === "fit") { cy.fit(undefined, 20); return; }
        var factor = action === "zoom-in" ? 1.25 : 0.8;
        cy.zoom({ level: cy.zoom() * factor, renderedPosition: { x: container.clientWidth / 2,
                                                                 y: container.clientHeight / 2 } });
      });
    });
    container.dataset.nodes = String(cy.nodes().length);
    container.dataset.edges = String(cy.edges().length);
    container.dataset.rendered = "true";
    window.cmdbImpactGraph = cy;
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
