(function () {
  "use strict";
  var root = document.getElementById("__UID__") || (document.currentScript && document.currentScript.parentNode);
  if (!root || root.getAttribute("data-ready")) { return; }
  root.setAttribute("data-ready", "1");
  var data = JSON.parse(root.querySelector("script.lh-sf-data").textContent);
  var image = root.querySelector("img.lh-sf-frame");
  var sliders = root.querySelectorAll("input.lh-sf-slider");
  var frames = data.frames;
  function current(attribute) {
    var index = 0;
    for (var k = 0; k < sliders.length; k++) {
      index += parseInt(attribute ? sliders[k].getAttribute("value") : sliders[k].value, 10) * data.strides[k];
    }
    return index;
  }
  // The <img> shows the frame of the sliders' initial values (a browser may have restored others).
  var start = current(true);
  frames[start] = frames[start] || image.getAttribute("src");
  function update() {
    for (var k = 0; k < sliders.length; k++) {
      var text = JSON.parse(sliders[k].getAttribute("data-texts"))[parseInt(sliders[k].value, 10)];
      sliders[k].setAttribute("aria-valuetext", text);
      sliders[k].parentNode.querySelector("output.lh-sf-value").textContent = text;
    }
    var index = current();
    image.src = frames[index];
    image.alt = data.alts[index];
  }
  // URL parameters named after sliders (?theta0=0.1 or #theta0=0.1) pick the nearest grid value.
  var query = (window.location.search + "&" + window.location.hash.replace(/^#/, "")).replace(/^\?/, "");
  query.split("&").forEach(function (pair) {
    var parts = pair.split("=");
    if (parts.length !== 2) { return; }
    var name = decodeURIComponent(parts[0]), wanted = decodeURIComponent(parts[1]);
    for (var k = 0; k < sliders.length; k++) {
      if (sliders[k].getAttribute("data-param") !== name) { continue; }
      var texts = JSON.parse(sliders[k].getAttribute("data-texts"));
      var numbers = JSON.parse(sliders[k].getAttribute("data-numbers"));
      var best = texts.indexOf(wanted), target = parseFloat(wanted);
      if (best < 0 && !isNaN(target)) {
        var gap = Infinity;
        for (var i = 0; i < numbers.length; i++) {
          if (numbers[i] !== null && Math.abs(numbers[i] - target) < gap) { gap = Math.abs(numbers[i] - target); best = i; }
        }
      }
      if (best >= 0) { sliders[k].value = String(best); }
    }
  });
  for (var k = 0; k < sliders.length; k++) { sliders[k].addEventListener("input", update); }
  update();
})();
