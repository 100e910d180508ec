// The timesheet grid: keep the row, day and week totals in step with what is typed (the server checks again).
(function () {
  "use strict";
  var grid = document.getElementById("timesheet-grid");
  if (!grid) return;
  function hoursOf(cell) {
    var input = cell.querySelector("input.ts-cell");
    var shown = cell.querySelector(".ts-readonly");
    var value = input ? parseFloat(input.value) : shown ? parseFloat(shown.dataset.hours) : 0;
    return isFinite(value) && value > 0 ? value : 0;
  }
  function shown(value) {
    // As the page shows a figure: "24", "21.50".
    var rounded = Math.round(value * 100) / 100;
    return rounded === Math.floor(rounded) ? String(rounded) : rounded.toFixed(2);
  }
  function update() {
    var days = [0, 0, 0, 0, 0, 0, 0];
    grid.querySelectorAll("tbody tr").forEach(function (row) {
      var total = 0;
      row.querySelectorAll("td[data-day]").forEach(function (cell) {
        var hours = hoursOf(cell);
        total += hours;
        days[Number(cell.dataset.day)] += hours;
      });
      row.querySelector(".ts-row-total").textContent = shown(total);
    });
    var week = 0;
    grid.querySelectorAll("tfoot .ts-day-total").forEach(function (cell) {
      var hours = days[Number(cell.dataset.day)];
      week += hours;
      cell.textContent = shown(hours);
      cell.classList.toggle("text-danger", hours > 24);
    });
    grid.querySelector(".ts-week-total").textContent = shown(week);
  }
  grid.addEventListener("input", update);
  // A grid shown again after a refused save holds what was typed, not what is stored: total that.
  update();
})();
