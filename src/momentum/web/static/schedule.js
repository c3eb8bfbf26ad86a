// Enhancements for the rep's pages; each works without this script.
// - The calendar: Tab reaches one day (today's, else the first), arrow keys move between days
//   (roving focus; past the first or last day, into the previous or next period), Home/End to
//   the week's ends, Page Up/Down to the previous/next period,
//   where the focus lands on the corresponding day (named in the address: #day-YYYY-MM-DD);
//   Tab reaches that day's meetings, Enter opens one.
// - Locking in: choosing an agenda template fills the agenda, choosing a homework template the
//   homework; picking a suggested slot clears a typed time and typing a time clears the
//   picked slot.
(function () {
  "use strict";

  function calendar(grid) {
    var days = Array.prototype.slice.call(grid.querySelectorAll("[data-day]"));
    if (!days.length) return;
    var current = null;

    // One day is the grid's tab stop, and only its meetings follow it in the tab order:
    // otherwise Tab walks every meeting of the week before it reaches today.
    function tabStops(cell, on) {
      cell.tabIndex = on ? 0 : -1;
      cell.querySelectorAll("a[href], button").forEach(function (chip) {
        if (on) chip.removeAttribute("tabindex");
        else chip.tabIndex = -1;
      });
    }

    function makeCurrent(cell) {
      if (current) tabStops(current, false);
      current = cell;
      tabStops(current, true);
    }

    days.forEach(function (cell) { tabStops(cell, false); });
    // Arriving from Page Up/Down (or any link to a day), the focus goes on with that day.
    var named = /^#day-(\d{4}-\d{2}-\d{2})$/.exec(window.location.hash);
    var arrived = named && grid.querySelector('[data-day="' + named[1] + '"]');
    makeCurrent(arrived || grid.querySelector(".day.today") || days[0]);
    if (named) current.focus(); // arrived by a key: the focus goes on, on that day or the first

    // A move past the grid's first or last day goes on in the previous or next period: the
    // day a week up from Monday's row is in last week's page.
    function focusAt(index, step) {
      if (index >= 0 && index < days.length) {
        makeCurrent(days[index]);
        current.focus();
        return;
      }
      if (grid.dataset.mode === "day" && Math.abs(step) > 1) return; // a day has no week below
      var link = document.querySelector('[data-key="' + (index < 0 ? "prev" : "next") + '"]');
      var day = parseDay(current.dataset.day);
      if (!link || !day) return;
      day.setUTCDate(day.getUTCDate() + step);
      window.location.href = link.href.split("#")[0] + "#day-" + day.toISOString().slice(0, 10);
    }

    grid.addEventListener("keydown", function (event) {
      var cell = event.target.closest("[data-day]");
      if (!cell) return;
      var index = days.indexOf(cell);
      var onChip = event.target !== cell;
      var moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 };
      if (event.key in moves && !onChip) {
        event.preventDefault();
        focusAt(index + moves[event.key], moves[event.key]);
      } else if (event.key === "Home" && !onChip) {
        event.preventDefault();
        focusAt(index - (index % 7), 0);
      } else if (event.key === "End" && !onChip) {
        event.preventDefault();
        focusAt(index - (index % 7) + 6, 0);
      } else if (event.key === "Escape" && onChip) {
        cell.focus();
      }
    });
    grid.addEventListener("focusin", function (event) {
      var cell = event.target.closest("[data-day]");
      if (cell && cell !== current) makeCurrent(cell);
    });
    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      if (/^(INPUT|SELECT|TEXTAREA)$/.test(event.target.tagName)) return;
      var which = event.key === "PageUp" ? "prev" : event.key === "PageDown" ? "next" : null;
      var link = which && document.querySelector('[data-key="' + which + '"]');
      if (link) {
        event.preventDefault();
        var anchor = new URL(link.href).searchParams.get("date");
        var day = anchor && corresponding(current.dataset.day, anchor, grid.dataset.mode);
        window.location.href = link.href.split("#")[0] + (day ? "#day-" + day : "");
      }
    });
  }

  // The day of the period around ``anchor`` that corresponds to ``day`` (both YYYY-MM-DD):
  // the same weekday in a week, the same date in a month (its last day when it is shorter).
  function corresponding(day, anchor, mode) {
    var from = parseDay(day);
    var to = parseDay(anchor);
    if (!from || !to) return null;
    if (mode === "week") {
      var monday = to.getUTCDate() - ((to.getUTCDay() + 6) % 7);
      to.setUTCDate(monday + ((from.getUTCDay() + 6) % 7));
    } else if (mode === "month") {
      var length = new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth() + 1, 0)).getUTCDate();
      to.setUTCDate(Math.min(from.getUTCDate(), length));
    }
    return to.toISOString().slice(0, 10);
  }

  function parseDay(text) {
    var parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || "");
    return parts ? new Date(Date.UTC(+parts[1], +parts[2] - 1, +parts[3])) : null;
  }

  function lockIn(form) {
    var select = form.querySelector("[data-template-select]");
    var homework = form.querySelector("[data-homework-select]");
    var apply = form.querySelector("[data-template-apply]");
    if (apply && (select || homework)) apply.hidden = true;
    if (select) {
      select.addEventListener("change", function () {
        var option = select.options[select.selectedIndex];
        form.elements.seller.value = option.dataset.seller || "";
        form.elements.buyer.value = option.dataset.buyer || "";
      });
    }
    if (homework) {
      homework.addEventListener("change", function () {
        var option = homework.options[homework.selectedIndex];
        form.elements.homework.value = option.dataset.homework || "";
      });
    }
    var typed = form.elements.when;
    form.addEventListener("change", function (event) {
      if (event.target.name === "slot" && typed) typed.value = "";
    });
    if (typed) {
      typed.addEventListener("input", function () {
        Array.prototype.forEach.call(form.querySelectorAll('input[name="slot"]'), function (radio) {
          radio.checked = false;
        });
      });
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-calendar]"), calendar);
  Array.prototype.forEach.call(document.querySelectorAll("form.lockin"), lockIn);
})();
