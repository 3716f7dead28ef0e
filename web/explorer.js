// The explorer page: controls → state → a redraw of the CPPN (cppn.js) into the canvas.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  // Large pictures are drawn tile by tile, as Python draws them band by band (?tile= for tests).
  const TILE = parseInt(params.get("tile"), 10) || 512;
  const SHOWN_SLIDERS = 8;

  const ENGINES = { tfjs: "TensorFlow.js WebAssembly", webgl2: "WebGL2 shader", js: "JavaScript" };
  const state = {
    mode: null, // "trained" | "art"
    exported: null, // model.json as loaded
    trained: null, // the trained model's json, if the export holds one
    model: null, // CPPN.load(...) of what is drawn now
    z: [],
    scale: 8,
    size: 256,
    invert: true,
    engine: "webgl2",
    a: null,
    b: null,
    lastMs: null,
    renders: 0,
  };
  let gl = null; // CPPN.GLRenderer on an offscreen canvas
  let tfjs = null; // CPPN.TFRenderer
  const glCanvas = document.createElement("canvas");
  const view = $("canvas");
  const view2d = view.getContext("2d", { willReadFrequently: true });

  // ------------------------------------------------------------------ errors

  function showError(message) {
    const box = $("error");
    box.textContent = message;
    box.hidden = false;
    $("status").textContent = "error";
    document.body.dataset.state = "error";
  }
  window.addEventListener("error", (e) => showError(`Error: ${e.message}`));
  window.addEventListener("unhandledrejection", (e) => showError(`Error: ${e.reason && e.reason.message ? e.reason.message : e.reason}`));

  async function fetchJSON(url, what) {
    let response;
    try {
      response = await fetch(url, { cache: "no-store" });
    } catch (error) {
      throw new Error(`Could not fetch ${what} (${url}): ${error.message}. Open the page through a web server, ` +
        "e.g. `python sampler.py serve`.");
    }
    if (!response.ok) {
      const detail = (await response.text()).replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim().slice(0, 300);
      throw new Error(`Could not load ${what} (${url}): HTTP ${response.status}. ${detail}`);
    }
    return response.json();
  }

  // ------------------------------------------------------------------ drawing

  function ensureGL() {
    if (!gl) gl = new CPPN.GLRenderer(glCanvas);
    return gl;
  }
  function engineFor(name) {
    return name === "tfjs" ? tfjs : name === "webgl2" ? ensureGL() : { setModel() {} };
  }

  // The engine to use: the one asked for in ?engine=, else the WebGL2 shader on a real GPU and
  // TensorFlow.js' WebAssembly backend where WebGL2 is drawn in software (SwiftShader, llvmpipe),
  // which was 10× faster there (README: "Explore in the browser").
  async function chooseEngine(asked) {
    let renderer = "";
    try {
      const probe = document.createElement("canvas").getContext("webgl2");
      const info = probe && probe.getExtension("WEBGL_debug_renderer_info");
      renderer = probe ? String(probe.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : probe.RENDERER)) : "";
    } catch (error) {
      renderer = "";
    }
    const software = /swiftshader|llvmpipe|software/i.test(renderer);
    const order = asked ? [asked, "js"] : renderer && !software ? ["webgl2", "tfjs", "js"] : ["tfjs", "webgl2", "js"];
    for (const name of order) {
      try {
        if (name === "tfjs") tfjs = tfjs || (await CPPN.TFRenderer.create("tfjs/"));
        if (name === "webgl2") ensureGL();
        return name;
      } catch (error) {
        console.warn(`engine ${name} unavailable: ${error.message}`);
      }
    }
    return "js";
  }

  // Draw the tile (x0, y0, w, h) of a width×height picture → RGBA bytes, top row first.
  function renderTile(width, height, x0, y0, w, h) {
    if (state.engine === "tfjs") return tfjs.draw(state.z, state.scale, width, height, x0, y0, w, h, state.invert);
    if (state.engine === "webgl2") {
      if (glCanvas.width !== w || glCanvas.height !== h) {
        glCanvas.width = w;
        glCanvas.height = h;
      }
      gl.draw(state.z, state.scale, width, height, x0, y0, w, h, state.invert);
      return gl.read(w, h);
    }
    const rgba = new Uint8ClampedArray(4 * w * h);
    CPPN.renderJS(state.model, state.z, state.scale, width, height, x0, y0, w, h, rgba, state.invert);
    return rgba;
  }

  function drawView() {
    const t0 = performance.now();
    const n = state.size;
    if (view.width !== n || view.height !== n) {
      view.width = n;
      view.height = n;
    }
    for (let y0 = 0; y0 < n; y0 += TILE)
      for (let x0 = 0; x0 < n; x0 += TILE) {
        const w = Math.min(TILE, n - x0), h = Math.min(TILE, n - y0);
        view2d.putImageData(new ImageData(renderTile(n, n, x0, y0, w, h), w, h), x0, y0);
      }
    state.lastMs = performance.now() - t0;
    state.renders += 1;
    $("status").textContent = `${n}×${n} in ${state.lastMs.toFixed(0)} ms (${ENGINES[state.engine]})`;
    document.body.dataset.state = "ready";
  }

  let pending = false;
  function requestDraw() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      try {
        drawView();
      } catch (error) {
        showError(`Drawing failed: ${error.message}`);
      }
    });
  }

  // A width×height picture drawn tile by tile into a new canvas (yielding between tiles).
  async function renderPicture(width, height, progress) {
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext("2d");
    const total = Math.ceil(width / TILE) * Math.ceil(height / TILE);
    let done = 0;
    for (let y0 = 0; y0 < height; y0 += TILE)
      for (let x0 = 0; x0 < width; x0 += TILE) {
        const w = Math.min(TILE, width - x0), h = Math.min(TILE, height - y0);
        ctx.putImageData(new ImageData(renderTile(width, height, x0, y0, w, h), w, h), x0, y0);
        done += 1;
        if (progress) progress(done, total);
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    return canvas;
  }

  function parseSize(text) {
    const parts = String(text).toLowerCase().split("x").map((p) => parseInt(p, 10));
    if (parts.length === 1) parts.push(parts[0]);
    if (parts.length !== 2 || parts.some((p) => !(p >= 1 && p <= 16384))) throw new Error(`"${text}" is not a size: use 1080 or 1920x1080 (at most 16384)`);
    return parts;
  }

  async function download() {
    let width, height;
    try {
      [width, height] = parseSize($("png-size").value);
    } catch (error) {
      return showError(error.message);
    }
    const t0 = performance.now();
    const canvas = await renderPicture(width, height, (done, total) => {
      $("status").textContent = `drawing ${width}×${height}: tile ${done} of ${total}`;
    });
    const ms = performance.now() - t0;
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
    const link = $("download-link");
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(blob);
    link.download = `cppn-${width}x${height}.png`;
    link.click();
    $("status").textContent = `${width}×${height} PNG drawn in ${(ms / 1000).toFixed(2)} s`;
    return ms;
  }

  // ------------------------------------------------------------------ latents

  function gaussian() {
    const u = 1 - Math.random(), v = Math.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  function prior() {
    return state.model.json.defaults.prior;
  }
  function mixtureZ(mixture) {
    // A component by weight, then mean + scale · ε (scale: the covariance's Cholesky factor).
    let pick = 0;
    for (let u = Math.random(); pick < mixture.weights.length - 1 && u >= mixture.weights[pick]; pick++) {
      u -= mixture.weights[pick];
    }
    const eps = mixture.means[pick].map(() => gaussian());
    return mixture.means[pick].map((m, i) => m + mixture.scales[pick][i].reduce((sum, l, j) => sum + l * eps[j], 0));
  }
  function randomZ() {
    const n = state.model.g.z_dim;
    if (prior() === "fitted") return mixtureZ(state.model.json.defaults.mixture);
    return Array.from({ length: n }, () => (prior() === "normal" ? gaussian() : 2 * Math.random() - 1));
  }

  function buildSliders() {
    const box = $("sliders");
    box.innerHTML = "";
    const range = prior() === "uniform" ? 1 : 3;
    state.z.forEach((value, i) => {
      const label = document.createElement("label");
      label.textContent = `z${i}`;
      const input = document.createElement("input");
      Object.assign(input, { type: "range", min: -range, max: range, step: 0.01, value });
      input.id = `z${i}`;
      input.dataset.index = i;
      input.addEventListener("input", () => {
        state.z[i] = Number(input.value);
        requestDraw();
      });
      label.appendChild(input);
      if (i >= SHOWN_SLIDERS && !box.dataset.all) label.classList.add("hidden");
      box.appendChild(label);
    });
    $("more").hidden = state.z.length <= SHOWN_SLIDERS;
    $("more").textContent = box.dataset.all ? "fewer" : `more (${state.z.length})`;
  }

  function setZ(z) {
    state.z = Array.from(z, Number);
    state.z.forEach((value, i) => {
      const input = $(`z${i}`);
      if (input) input.value = value;
    });
    requestDraw();
  }

  // ------------------------------------------------------------------ models

  function useModel(json) {
    const model = CPPN.load(json);
    engineFor(state.engine).setModel(model);
    state.model = model;
    state.invert = json.defaults.invert;
    if (state.z.length !== model.g.z_dim) state.z = new Array(model.g.z_dim).fill(0);
    $("model-name").textContent = json.kind === "art" ? `art ${json.name}` : `${json.name} (${json.system})`;
    buildSliders();
    requestDraw();
  }

  function setScale(scale) {
    state.scale = Number(scale);
    $("scale").value = state.scale;
    $("scale-value").textContent = state.scale.toFixed(1);
  }

  function artName() {
    const seed = Math.max(0, parseInt($("seed").value, 10) || 0);
    const c = $("colour").checked ? 3 : 1;
    return `s${seed}-${$("architecture").value}-c${c}-z${parseInt($("art-zdim").value, 10) || 8}-n${parseInt($("art-netsize").value, 10) || 32}`;
  }

  let artRequest = 0;
  async function loadArt() {
    const name = artName(), ticket = ++artRequest;
    $("status").textContent = `loading art ${name}…`;
    let json;
    try {
      json = await fetchJSON(`art/${name}.json`, `art model ${name}`);
    } catch (error) {
      showError(`${error.message}\nA static export holds only the art it was made with; \`python sampler.py serve\` makes any seed.`);
      return;
    }
    if (ticket !== artRequest) return; // a later choice won
    $("error").hidden = true;
    const fresh = state.mode !== "art" || !state.model || state.model.g.z_dim !== json.generator.z_dim;
    useModel(json);
    if (fresh) {
      setScale(json.defaults.scale);
      setZ(randomZ());
    }
  }

  function setMode(mode) {
    state.mode = mode;
    stopAnimation();
    $("mode-trained").setAttribute("aria-pressed", mode === "trained");
    $("mode-art").setAttribute("aria-pressed", mode === "art");
    $("art-controls").hidden = mode !== "art";
    const digits = mode === "trained" && state.trained && state.trained.digits;
    $("digit-controls").hidden = !digits;
    if (mode === "trained") {
      useModel(state.trained);
      setScale(state.trained.defaults.scale);
      setZ(digits && digits.z["0"] ? digits.z["0"] : randomZ());
    } else {
      loadArt();
    }
  }

  function buildDigitButtons(digits) {
    const box = $("digits");
    box.innerHTML = "";
    if (!digits) return;
    for (const [label, z] of Object.entries(digits.z)) {
      const button = document.createElement("button");
      button.textContent = label;
      button.id = `digit-${label}`;
      button.title = `the first ${label} of the held-out split ${digits.split}, encoded`;
      button.addEventListener("click", () => setZ(z));
      box.appendChild(button);
    }
  }

  // ------------------------------------------------------------------ animation

  let animation = null;
  function stopAnimation() {
    if (animation) cancelAnimationFrame(animation.frame);
    animation = null;
    $("morph").textContent = "morph A ⇄ B";
    $("animate").textContent = "animate z";
  }
  function animate(step, button, label) {
    if (animation) return stopAnimation();
    const start = performance.now();
    animation = { frame: 0 };
    button.textContent = "stop";
    const tick = (now) => {
      if (!animation) return;
      step((now - start) / 1000);
      try {
        drawView();
      } catch (error) {
        stopAnimation();
        return showError(`Drawing failed: ${error.message}`);
      }
      animation.frame = requestAnimationFrame(tick);
    };
    animation.frame = requestAnimationFrame(tick);
  }
  // A ⇄ B with sinusoid easing, 2 s each way.
  function morph() {
    if (!state.a) state.a = state.z.slice();
    if (!state.b) state.b = randomZ();
    const a = state.a, b = state.b;
    animate((t) => {
      const f = 0.5 - 0.5 * Math.cos((Math.PI * t) / 2);
      state.z = a.map((v, i) => v + (b[i] - v) * f);
    }, $("morph"));
  }
  // Art: every latent swings on its own slow sine, within [-1, 1].
  function animateArt() {
    const rates = state.z.map(() => 0.2 + 0.6 * Math.random());
    const phases = state.z.map((v) => Math.asin(Math.max(-1, Math.min(1, v))));
    animate((t) => {
      state.z = rates.map((w, i) => Math.sin(phases[i] + w * t));
    }, $("animate"));
  }

  // ------------------------------------------------------------------ wiring

  function wire() {
    $("mode-trained").addEventListener("click", () => setMode("trained"));
    $("mode-art").addEventListener("click", () => setMode("art"));
    $("scale").addEventListener("input", () => {
      setScale($("scale").value);
      requestDraw();
    });
    $("size").addEventListener("change", () => {
      state.size = parseInt($("size").value, 10);
      requestDraw();
    });
    $("engine").addEventListener("change", async () => {
      state.engine = await chooseEngine($("engine").value);
      $("engine").value = state.engine;
      engineFor(state.engine).setModel(state.model);
      requestDraw();
    });
    $("random").addEventListener("click", () => setZ(randomZ()));
    $("more").addEventListener("click", () => {
      const box = $("sliders");
      if (box.dataset.all) delete box.dataset.all;
      else box.dataset.all = "1";
      buildSliders();
    });
    $("set-a").addEventListener("click", () => (state.a = state.z.slice()));
    $("set-b").addEventListener("click", () => (state.b = state.z.slice()));
    $("morph").addEventListener("click", morph);
    $("animate").addEventListener("click", animateArt);
    $("download").addEventListener("click", download);
    for (const id of ["seed", "architecture", "colour", "art-zdim", "art-netsize"]) $(id).addEventListener("change", loadArt);
  }

  async function start() {
    wire();
    state.engine = await chooseEngine(params.get("engine"));
    $("engine").value = state.engine;
    state.size = parseInt(params.get("size") || $("size").value, 10);
    $("size").value = String(state.size);
    const json = await fetchJSON(params.get("model") || "model.json", "the model export");
    CPPN.load(json); // checks the format before anything is shown
    state.exported = json;
    for (const name of json.architectures) $("architecture").add(new Option(name, name));
    if (json.kind === "art") {
      const art = json.art;
      $("seed").value = art.seed;
      $("architecture").value = art.architecture;
      $("colour").checked = art.c_dim === 3;
      $("art-zdim").value = art.z_dim;
      $("art-netsize").value = art.net_size;
      $("mode-trained").hidden = true;
      setMode("art");
    } else {
      state.trained = json;
      buildDigitButtons(json.digits);
      setMode("trained");
    }
  }

  const ready = start().catch((error) => showError(error.message));

  // For tests and benchmarks: drive the page and read what it drew.
  window.explorer = {
    ready,
    state,
    setZ,
    setScale: (s) => { setScale(s); requestDraw(); },
    drawNow: () => { drawView(); return state.lastMs; },
    renderPicture: async (w, h) => {
      const t0 = performance.now();
      await renderPicture(w, h);
      return performance.now() - t0;
    },
    download,
    // The visible canvas' pixels as base64 RGBA.
    pixels: () => {
      const data = view2d.getImageData(0, 0, view.width, view.height).data;
      let s = "";
      for (let i = 0; i < data.length; i += 0x8000) s += String.fromCharCode.apply(null, data.subarray(i, i + 0x8000));
      return btoa(s);
    },
  };
})();
