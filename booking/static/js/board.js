// Progressive enhancement of the safety board: refresh the time and the list in place every
// minute, so that the page keeps its scroll position. Without scripts a meta refresh does
// the same. Once the desk asks for it (browsers play sound only after a click), a short tone
// sounds when a refresh brings an alarm that was not there before.
(function () {
  "use strict";
  var board = document.getElementById("board");
  var seconds = board ? parseInt(board.dataset.refresh, 10) : 0;
  if (!seconds) { return; }
  var REFRESHED = ["board-now", "board"];
  var soundButton = document.querySelector("[data-board-sound]");
  var audio = null;

  function alarms(root) {
    var found = {};
    root.querySelectorAll("[data-alarm]").forEach(function (card) {
      found[card.dataset.alarm] = true;
    });
    return found;
  }

  function beep() {
    if (!audio) { return; }
    var tone = audio.createOscillator();
    var volume = audio.createGain();
    tone.frequency.value = 880;
    volume.gain.setValueAtTime(0.3, audio.currentTime);
    volume.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.6);
    tone.connect(volume).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.6);
  }

  function replace(fresh) {
    var before = alarms(board);
    REFRESHED.forEach(function (id) {
      var now = document.getElementById(id);
      var next = fresh.getElementById(id);
      if (now && next) { now.innerHTML = next.innerHTML; }
    });
    var after = alarms(board);
    if (Object.keys(after).some(function (key) { return !before[key]; })) { beep(); }
  }

  function refresh() {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html) { replace(new DOMParser().parseFromString(html, "text/html")); }
      })
      .catch(function () { /* try again at the next tick */ });
  }

  var Context = window.AudioContext || window.webkitAudioContext;
  if (soundButton && Context) {
    soundButton.hidden = false;
    soundButton.addEventListener("click", function () {
      audio = audio || new Context();
      audio.resume();
      soundButton.setAttribute("aria-pressed", "true");
      beep();  // the desk hears what it will sound like
    });
  }

  window.setInterval(refresh, seconds * 1000);
})();
