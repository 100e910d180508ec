// The task board: cards dragged between columns and places (SortableJS), each drop posted with htmx to the
// card's place URL; the answer is the board as stored, so a refused move puts the card back where it was.
// The "Move to" menu of each card does the same without a mouse (and without scripts, as a plain form).
(function () {
  "use strict";
  if (typeof Sortable === "undefined" || typeof htmx === "undefined") return;

  // The nearest card of the same project beside ``item``, looking one way (the column may hold other
  // projects' cards on the board across projects, and a filtered board hides some of the project's).
  function neighbour(item, step) {
    var sibling = item[step];
    while (sibling && !(sibling.classList.contains("board-card") && sibling.dataset.project === item.dataset.project)) {
      sibling = sibling[step];
    }
    return sibling;
  }

  // The place the drop means among all of the project's tasks of the column (0 first), from the neighbours'
  // places as the server counted them; in the same column the card's own old place closes up first.
  function positionOf(item, sameColumn) {
    var old = Number(item.dataset.index);
    var next = neighbour(item, "nextElementSibling");
    var prev = neighbour(item, "previousElementSibling");
    var position = 0;
    if (next) {
      position = Number(next.dataset.index);
    } else if (prev) {
      position = Number(prev.dataset.index) + 1;
    }
    if (sameColumn && old < position) position -= 1;
    return position;
  }

  function dropped(event) {
    var item = event.item;
    var sameColumn = event.from === event.to;
    if (sameColumn && event.oldIndex === event.newIndex) return;
    var board = document.getElementById("board");
    board.setAttribute("aria-busy", "true");
    htmx.ajax("POST", item.dataset.placeUrl + window.location.search, {
      source: board,
      target: "#board",
      swap: "outerHTML",
      values: { status: event.to.dataset.status, position: positionOf(item, sameColumn), board: board.dataset.board },
    });
  }

  function start() {
    var board = document.getElementById("board");
    if (!board || board.dataset.board === undefined || board.dataset.started) return;
    board.dataset.started = "1";
    board.querySelectorAll(".board-cards").forEach(function (list) {
      Sortable.create(list, {
        group: "board",
        draggable: ".board-card",
        // The menu's controls stay usable: a press on them starts no drag.
        filter: "a, select, button, label, summary",
        preventOnFilter: false,
        // Pointer events rather than the browser's drag and drop: the same on a phone, a mouse and a test.
        forceFallback: true,
        fallbackOnBody: true,
        delay: 150,
        delayOnTouchOnly: true,
        animation: 120,
        ghostClass: "board-card-ghost",
        chosenClass: "board-card-chosen",
        onEnd: dropped,
      });
    });
  }

  // Cards carry no id: htmx would copy a dragged card's old inline style (Sortable's) onto its new copy,
  // which the Content-Security-Policy refuses.
  // After a drop or a "Move to": the message is in the live region; if the focus was on the card that was
  // drawn again, it goes to that card's title so that a keyboard user stays where they were.
  document.body.addEventListener("htmx:afterSettle", function () {
    var board = document.getElementById("board");
    if (!board || board.dataset.started) return;
    start();
    var placed = board.dataset.placed && board.querySelector(".board-card[data-task=\"" + board.dataset.placed + "\"]");
    if (placed && (!document.activeElement || document.activeElement === document.body)) {
      placed.querySelector(".board-card-title").focus();
    }
  });
  // A drop that gets no answer (the server down, a session ended): show the board as stored.
  document.body.addEventListener("htmx:responseError", function () {
    window.location.reload();
  });
  document.body.addEventListener("htmx:sendError", function () {
    window.location.reload();
  });
  start();
})();
