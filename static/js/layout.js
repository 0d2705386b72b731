/* Sanad on a narrow screen: the header's menu button, and the column labels
   of tables shown as stacked rows. Loaded by base.html as it is, no build
   step. Without it nothing is lost: the header shows every link and the
   stacked rows keep the labels the templates wrote. */
(function () {
  "use strict";
  // Before the first paint: the style sheet folds the menu only when this
  // script is there to open it.
  document.documentElement.classList.add("has-js");

  function setOpen(header, button, open) {
    header.classList.toggle("menu-open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }

  function wireMenu() {
    var header = document.querySelector(".site-header.has-menu");
    var button = header && header.querySelector(".menu-button");
    if (!button) return;
    button.addEventListener("click", function () {
      setOpen(header, button, button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && header.classList.contains("menu-open")) {
        setOpen(header, button, false);
        button.focus();
      }
    });
  }

  // The visible text of a column header (a header that only a screen reader
  // reads, such as "Actions" over buttons, labels nothing).
  function visibleText(cell) {
    var copy = cell.cloneNode(true);
    copy.querySelectorAll(".visually-hidden").forEach(function (hidden) { hidden.remove(); });
    return copy.textContent.replace(/\s+/g, " ").trim();
  }

  // Cells without a data-label take their column's header: tables added
  // without labels still read as "label: value" when stacked.
  function labelTables(root) {
    if (!root.querySelectorAll) return;
    var tables = root.matches && root.matches("main table") ? [root] : root.querySelectorAll("main table");
    Array.prototype.forEach.call(tables, function (table) {
      var headRow = table.tHead && table.tHead.rows[0];
      if (!headRow) return;
      var labels = [];
      Array.prototype.forEach.call(headRow.cells, function (cell) {
        for (var span = 0; span < (cell.colSpan || 1); span++) labels.push(visibleText(cell));
      });
      Array.prototype.forEach.call(table.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (row) {
          var column = 0;
          Array.prototype.forEach.call(row.cells, function (cell) {
            var label = labels[column];
            if (cell.tagName === "TD" && label && !cell.hasAttribute("data-label")) {
              cell.setAttribute("data-label", label);
            }
            column += cell.colSpan || 1;
          });
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    wireMenu();
    labelTables(document);
  });
  // Rows that htmx brings in later (a filtered list, a panel).
  document.addEventListener("htmx:load", function (event) {
    labelTables(event.target.closest ? (event.target.closest("table") || event.target) : document);
  });
})();
