// ServiceHall pages: a little help where it makes a difference; every page works without it.
(function () {
  "use strict";
  // Print buttons.
  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("[data-print]");
    if (target) { event.preventDefault(); window.print(); }
  });
  // Live search: the item list filters as the clerk or the applicant types.
  var input = document.querySelector("[data-live-search]");
  if (input) {
    var rows = Array.prototype.slice.call(document.querySelectorAll(input.getAttribute("data-live-search")));
    input.addEventListener("input", function () {
      var words = input.value.trim().toLowerCase();
      rows.forEach(function (row) { row.hidden = words !== "" && row.textContent.toLowerCase().indexOf(words) < 0; });
    });
  }
  // A chart wider than the screen shows its latest months first; the earlier ones scroll in.
  function latestMonths() {
    Array.prototype.forEach.call(document.querySelectorAll(".chart-box"), function (box) { box.scrollLeft = box.scrollWidth; });
  }
  latestMonths();
  window.addEventListener("resize", latestMonths);
  // A notice still being sealed: look again every few seconds until the seal comes back.
  var pending = document.querySelector("[data-refresh-while-pending]");
  if (pending) { setTimeout(function () { window.location.reload(); }, 3000); }
})();
