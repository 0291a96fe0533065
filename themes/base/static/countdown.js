// A flash sale's countdown: each .countdown[data-ends] shows the time left to its end,
// every second, in the words its data-label gives ("{time}" stands for the time). Time
// is counted from the server's clock (data-now), not the phone's, which may be wrong;
// at the end the data-ended words show. Without this script the page says the end time.
(function () {
  "use strict";
  var started = Date.now();
  var clocks = Array.prototype.slice.call(document.querySelectorAll(".countdown[data-ends]"));

  function two(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function tick() {
    clocks.forEach(function (clock) {
      var now = Date.parse(clock.dataset.now) + (Date.now() - started);
      var left = Math.floor((Date.parse(clock.dataset.ends) - now) / 1000);
      if (left <= 0) {
        clock.textContent = clock.dataset.ended;
        return;
      }
      var days = Math.floor(left / 86400);
      var time = two(Math.floor((left % 86400) / 3600)) + ":" + two(Math.floor((left % 3600) / 60)) + ":" + two(left % 60);
      clock.textContent = clock.dataset.label.replace("{time}", (days ? days + " · " : "") + time);
    });
  }

  if (clocks.length) {
    tick();
    setInterval(tick, 1000);
  }
})();
