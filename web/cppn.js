// The CPPN of model.json, drawn two ways: a WebGL2 fragment shader (one pixel per shader
// invocation) and plain JavaScript (the fallback and the reference). Both write file pixels
// as Python's render.py does: clip to [0, 1], invert digits' ink (1 - v), times 255, truncated.
"use strict";

const CPPN = (() => {
  function decodeWeights(base64) {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    return new Float32Array(bytes.buffer);
  }

  // The exported model → {spec, weights, layers} with each layer's kernel/bias as Float32Array views.
  function load(json) {
    if (!json || json.format !== "cppn-explorer/1") throw new Error("not a cppn-explorer/1 model.json");
    const weights = decodeWeights(json.weights);
    const view = (part) => (part ? weights.subarray(part.offset, part.offset + part.shape.reduce((a, b) => a * b, 1)) : null);
    const layer = (l) => ({ in: l.in, out: l.out, kernel: view(l.kernel), bias: view(l.bias), activation: l.activation });
    const g = json.generator;
    return {
      json, g,
      zInput: layer(g.z_input),
      xyrInput: layer(g.xyr_input),
      steps: g.steps.map((s) => ({ residual: s.residual, layers: s.layers.map(layer) })),
      outputLayer: layer(g.output_layer),
    };
  }

  const ACT = {
    linear: (v) => v,
    tanh: Math.tanh,
    relu: (v) => (v > 0 ? v : 0),
    softplus: (v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))),
    sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  };
  const OUT = {
    sigmoid: (v) => 1 / (1 + Math.exp(-v)),
    sinusoid: (v) => 0.5 * Math.sin(v) + 0.5,
    sqrt_abs_tanh: (v) => Math.sqrt(1 - Math.abs(Math.tanh(v))),
  };

  // z (array) → U's z part: FC(z·scale) or FC(z), once per image.
  function zProjection(model, z, scale) {
    const L = model.zInput, n = L.out, out = new Float32Array(n);
    const s = model.g.scale_z ? scale : 1;
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let k = 0; k < L.in; k++) acc += Math.fround(z[k] * s) * L.kernel[k * n + j];
      out[j] = acc + L.bias[j];
    }
    return out;
  }

  // Python's ops.coordinate_axis: n positions spanning [-scale, scale].
  function axis(i, n, scale) {
    return n === 1 ? 0 : Math.fround((scale * (i - (n - 1) / 2.0)) / (n - 1) / 0.5);
  }

  function dense(L, src, dst) {
    const n = L.out, act = ACT[L.activation];
    for (let j = 0; j < n; j++) {
      let acc = L.bias ? L.bias[j] : 0;
      for (let k = 0; k < L.in; k++) acc += src[k] * L.kernel[k * n + j];
      dst[j] = act(acc);
    }
  }

  // Fill `rgba` (Uint8ClampedArray, tileW×tileH) with the tile at (x0, y0) of a width×height image.
  function renderJS(model, z, scale, width, height, x0, y0, tileW, tileH, rgba, invert) {
    const g = model.g, N = g.net_size, C = g.c_dim;
    const zp = zProjection(model, z, scale);
    const X = model.xyrInput, first = ACT[g.first], out = OUT[g.output];
    let h = new Float32Array(N), t = new Float32Array(N), u = new Float32Array(N);
    const o = new Float32Array(C);
    for (let row = 0; row < tileH; row++) {
      const y = axis(y0 + row, height, scale);
      for (let col = 0; col < tileW; col++) {
        const x = axis(x0 + col, width, scale);
        const r = Math.fround(Math.sqrt(x * x + y * y));
        const c = [x, y, r];
        for (let j = 0; j < N; j++) {
          let acc = 0;
          for (let k = 0; k < g.n_coords; k++) acc += c[k] * X.kernel[k * N + j];
          h[j] = first(zp[j] + acc);
        }
        for (const step of model.steps) {
          let src = h;
          for (const L of step.layers) {
            dense(L, src, t);
            src = t;
            [t, u] = [u, t];
          }
          if (step.residual) for (let j = 0; j < N; j++) h[j] += src[j];
          else h.set(src);
        }
        const L = model.outputLayer;
        for (let j = 0; j < C; j++) {
          let acc = L.bias[j];
          for (let k = 0; k < N; k++) acc += h[k] * L.kernel[k * C + j];
          o[j] = out(acc);
        }
        toRGBA(o, C, rgba, 4 * (row * tileW + col), invert);
      }
    }
  }

  // ------------------------------------------------------------------ WebGL2

  const TEX_W = 2048; // weights texture: RGBA32F, TEX_W texels a row

  // Weights re-laid out for the shader as one list of vec4 texels. For a layer of in→out units
  // (padded to multiples of 4), kernel block (i4, o4) is 4 texels: texel c holds
  // kernel[4·i4 .. 4·i4+3][4·o4 + c] (a mat4 column), so `src[i4] * mat4(...)` adds that
  // block's share to out[o4]. Biases are one texel per 4 units.
  function packForGL(model) {
    const texels = [];
    const pad4 = (n) => Math.ceil(n / 4);
    function pushLayer(L) {
      const I4 = pad4(L.in), O4 = pad4(L.out), kernel = texels.length / 4;
      for (let o = 0; o < O4; o++)
        for (let i = 0; i < I4; i++)
          for (let c = 0; c < 4; c++)
            for (let r = 0; r < 4; r++) {
              const ii = 4 * i + r, oo = 4 * o + c;
              texels.push(ii < L.in && oo < L.out ? L.kernel[ii * L.out + oo] : 0);
            }
      const bias = texels.length / 4;
      for (let o = 0; o < 4 * O4; o++) texels.push(L.bias && o < L.out ? L.bias[o] : 0);
      return { I4, O4, kernel, bias, activation: L.activation };
    }
    const X = model.xyrInput, N = model.g.net_size, N4 = pad4(N);
    const xyr = texels.length / 4;
    for (let k = 0; k < 3; k++)
      for (let o = 0; o < 4 * N4; o++) texels.push(k < X.in && o < N ? X.kernel[k * N + o] : 0);
    const steps = model.steps.map((s) => ({ residual: s.residual, layers: s.layers.map(pushLayer) }));
    const outL = pushLayer(model.outputLayer);
    const rows = Math.max(1, Math.ceil(texels.length / 4 / TEX_W));
    const data = new Float32Array(4 * TEX_W * rows);
    data.set(texels);
    return { data, rows, N4, xyr, steps, outL };
  }

  const GLSL_ACT = {
    linear: "v",
    tanh: "tanh_(v)",
    relu: "max(v, 0.0)",
    softplus: "max(v, 0.0) + log(1.0 + exp(-abs(v)))",
    sigmoid: "1.0 / (1.0 + exp(-v))",
  };
  const GLSL_OUT = {
    sigmoid: "1.0 / (1.0 + exp(-v))",
    sinusoid: "0.5 * sin(v) + 0.5",
    sqrt_abs_tanh: "sqrt(1.0 - abs(tanh_(v)))",
  };

  // The fragment shader for `model`: one pixel's whole network, weights fetched from the texture.
  function shaderSource(model, packed) {
    const N4 = packed.N4;
    const mat = (b) => `mat4(W(${b}), W(${b} + 1), W(${b} + 2), W(${b} + 3))`;
    const dense = (L, src, dst) => `  for (int o = 0; o < ${L.O4}; o++) {
    vec4 acc = W(${L.bias} + o);
    for (int i = 0, b = ${L.kernel} + o * ${4 * L.I4}; i < ${L.I4}; i++, b += 4) acc += ${src}[i] * ${mat("b")};
    vec4 v = acc;
    ${dst}[o] = ${GLSL_ACT[L.activation]};
  }`;
    const body = [];
    packed.steps.forEach((step) => {
      let src = "h";
      step.layers.forEach((L, k) => {
        const dst = k % 2 === 0 ? "t" : "u";
        body.push(dense(L, src, dst));
        src = dst;
      });
      body.push(step.residual ? `  for (int i = 0; i < N4; i++) h[i] += ${src}[i];` : `  h = ${src};`);
    });
    const o = packed.outL;
    const xyr = (k) => `W(${packed.xyr} + ${k} * N4 + i)`;
    return `#version 300 es
precision highp float;
precision highp int;
precision highp sampler2D;
#define N4 ${N4}
uniform sampler2D uW;
vec4 W(int i) { return texelFetch(uW, ivec2(i % ${TEX_W}, i / ${TEX_W}), 0); }
uniform vec4 uZ[N4];       // FC(z·scale) + bias, once per image
uniform vec2 uSize;        // the whole image, pixels
uniform vec2 uOrigin;      // this tile's top-left pixel in the whole image
uniform float uTileH;
uniform float uScale;
uniform bool uInvert;
out vec4 outColor;
vec4 tanh_(vec4 v) { vec4 e = exp(-2.0 * abs(v)); return sign(v) * (1.0 - e) / (1.0 + e); }
float axis(float i, float n) { return n == 1.0 ? 0.0 : uScale * (i - (n - 1.0) * 0.5) / (n - 1.0) / 0.5; }
void main() {
  float col = uOrigin.x + floor(gl_FragCoord.x);
  float row = uOrigin.y + (uTileH - 1.0 - floor(gl_FragCoord.y));
  float x = axis(col, uSize.x), y = axis(row, uSize.y);
  float r = sqrt(x * x + y * y);
  vec4 h[N4], t[N4], u[N4];
  for (int i = 0; i < N4; i++) {
    vec4 v = uZ[i] + x * ${xyr(0)} + y * ${xyr(1)}${model.g.n_coords > 2 ? ` + r * ${xyr(2)}` : ""};
    h[i] = ${GLSL_ACT[model.g.first]};
  }
${body.join("\n")}
  vec4 acc = W(${o.bias});
  for (int i = 0, b = ${o.kernel}; i < N4; i++, b += 4) acc += h[i] * ${mat("b")};
  vec4 v = acc;
  vec4 c = clamp(${GLSL_OUT[model.g.output]}, 0.0, 1.0);
  c = ${model.g.c_dim === 1 ? "c.xxxx" : "c"};
  if (uInvert) c = 1.0 - c;
  // Python truncates (x·255 → uint8): aim at the middle of the truncated level so 8-bit output rounds to it.
  outColor = vec4((floor(c.rgb * 255.0) + 0.5) / 255.0, 1.0);
}`;
  }

  const VERTEX = `#version 300 es
in vec2 p;
void main() { gl_Position = vec4(p, 0.0, 1.0); }`;

  class GLRenderer {
    constructor(canvas) {
      const gl = canvas.getContext("webgl2", { preserveDrawingBuffer: true, antialias: false, premultipliedAlpha: false });
      if (!gl) throw new Error("WebGL2 is not available in this browser");
      this.gl = gl;
      this.canvas = canvas;
      const buf = gl.createBuffer();
      gl.bindBuffer(gl.ARRAY_BUFFER, buf);
      gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 3, -1, -1, 3]), gl.STATIC_DRAW);
      this.texture = gl.createTexture();
    }

    setModel(model) {
      const gl = this.gl;
      const packed = packForGL(model);
      gl.bindTexture(gl.TEXTURE_2D, this.texture);
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA32F, TEX_W, packed.rows, 0, gl.RGBA, gl.FLOAT, packed.data);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
      const compile = (type, src) => {
        const s = gl.createShader(type);
        gl.shaderSource(s, src);
        gl.compileShader(s);
        if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error("shader: " + gl.getShaderInfoLog(s));
        return s;
      };
      if (this.program) gl.deleteProgram(this.program);
      const p = gl.createProgram();
      gl.attachShader(p, compile(gl.VERTEX_SHADER, VERTEX));
      gl.attachShader(p, compile(gl.FRAGMENT_SHADER, shaderSource(model, packed)));
      gl.linkProgram(p);
      if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new Error("shader link: " + gl.getProgramInfoLog(p));
      this.program = p;
      this.model = model;
      this.N4 = packed.N4;
      gl.useProgram(p);
      const loc = gl.getAttribLocation(p, "p");
      gl.enableVertexAttribArray(loc);
      gl.vertexAttribPointer(loc, 2, gl.FLOAT, false, 0, 0);
      this.u = {};
      for (const name of ["uW", "uZ", "uSize", "uOrigin", "uTileH", "uScale", "uInvert"]) this.u[name] = gl.getUniformLocation(p, name);
      gl.uniform1i(this.u.uW, 0);
    }

    // Draw the tile (x0, y0, tileW, tileH) of a width×height image into the canvas' lower-left corner.
    draw(z, scale, width, height, x0, y0, tileW, tileH, invert) {
      const gl = this.gl;
      const zp = zProjection(this.model, z, scale);
      const padded = new Float32Array(4 * this.N4);
      padded.set(zp);
      gl.useProgram(this.program);
      gl.activeTexture(gl.TEXTURE0);
      gl.bindTexture(gl.TEXTURE_2D, this.texture);
      gl.uniform4fv(this.u.uZ, padded);
      gl.uniform2f(this.u.uSize, width, height);
      gl.uniform2f(this.u.uOrigin, x0, y0);
      gl.uniform1f(this.u.uTileH, tileH);
      gl.uniform1f(this.u.uScale, scale);
      gl.uniform1i(this.u.uInvert, invert ? 1 : 0);
      gl.viewport(0, 0, tileW, tileH);
      gl.drawArrays(gl.TRIANGLES, 0, 3);
    }

    // The tile's pixels, top row first (RGBA bytes).
    read(tileW, tileH) {
      const gl = this.gl, raw = new Uint8Array(4 * tileW * tileH);
      gl.readPixels(0, 0, tileW, tileH, gl.RGBA, gl.UNSIGNED_BYTE, raw);
      const out = new Uint8ClampedArray(raw.length), rowBytes = 4 * tileW;
      for (let r = 0; r < tileH; r++) out.set(raw.subarray((tileH - 1 - r) * rowBytes, (tileH - r) * rowBytes), r * rowBytes);
      return out;
    }
  }

  // ------------------------------------------------------------------ TensorFlow.js (WebAssembly backend)

  const CHUNK = 65536; // pixels per pass: 32 MB of activations at 128 units

  // Python's file pixels from output floats (c_dim per pixel) into RGBA bytes at `at`.
  function toRGBA(floats, c, rgba, at, invert) {
    for (let p = 0, q = at; p < floats.length / c; p++, q += 4) {
      for (let j = 0; j < 3; j++) {
        let v = Math.min(1, Math.max(0, floats[p * c + (c === 1 ? 0 : j)]));
        if (invert) v = 1 - v;
        rgba[q + j] = Math.floor(Math.fround(v * 255));
      }
      rgba[q + 3] = 255;
    }
  }

  // The same network as whole-tile matrix products in TensorFlow.js: its WebAssembly
  // backend multiplies with XNNPACK's SIMD kernels.
  class TFRenderer {
    // `base`: the folder holding tfjs' .wasm files.
    static async create(base) {
      if (typeof tf === "undefined" || !tf.wasm) throw new Error("TensorFlow.js is not loaded");
      tf.wasm.setWasmPaths(base);
      // Threads: tfjs' own choice (min(4, cores / 2)) where the page is cross-origin isolated, as `serve` makes it.
      if (!(await tf.setBackend("wasm"))) throw new Error("TensorFlow.js' WebAssembly backend did not start");
      await tf.ready();
      return new TFRenderer();
    }

    setModel(model) {
      if (this.tensors) this.tensors.forEach((t) => t.dispose());
      this.tensors = [];
      const keep = (t) => (this.tensors.push(t), t);
      // tanh(x) = 2·sigmoid(2x) − 1: XNNPACK fuses a sigmoid into the matrix product (vectorised),
      // where tfjs' tanh is a scalar loop. Doubling the weights is exact in floating point.
      const T = (L) => {
        const f = L.activation === "tanh" ? 2 : 1;
        return {
          kernel: keep(tf.tensor2d(L.kernel.map((v) => f * v), [L.in, L.out])),
          bias: L.bias && keep(tf.tensor1d(L.bias.map((v) => f * v))),
          activation: L.activation,
          doubled: f === 2,
        };
      };
      this.model = model;
      this.xyr = T(model.xyrInput);
      this.steps = model.steps.map((s) => ({ residual: s.residual, layers: s.layers.map(T) }));
      this.output = T(model.outputLayer);
    }

    draw(z, scale, width, height, x0, y0, tileW, tileH, invert) {
      const g = this.model.g, N = g.net_size, C = g.c_dim;
      const zp = zProjection(this.model, z, scale);
      const rgba = new Uint8ClampedArray(4 * tileW * tileH);
      const act = (name, v) => (name === "linear" ? v : tf[name](v));
      const out = { sigmoid: tf.sigmoid, sinusoid: (v) => tf.add(tf.mul(tf.sin(v), 0.5), 0.5),
        sqrt_abs_tanh: (v) => tf.sqrt(tf.sub(1, tf.abs(tf.tanh(v)))) }[g.output];
      const dense = (src, L) => {
        if (L.doubled) return tf.sub(tf.mul(tf.fused.matMul({ a: src, b: L.kernel, bias: L.bias, activation: "sigmoid" }), 2), 1);
        const fused = { linear: "linear", relu: "relu", sigmoid: "sigmoid" }[L.activation];
        if (fused) return tf.fused.matMul({ a: src, b: L.kernel, bias: L.bias, activation: fused });
        return act(L.activation, tf.add(tf.matMul(src, L.kernel), L.bias));
      };
      const total = tileW * tileH;
      for (let start = 0; start < total; start += CHUNK) {
        const n = Math.min(CHUNK, total - start);
        const coords = new Float32Array(3 * n);
        for (let p = 0; p < n; p++) {
          const col = x0 + ((start + p) % tileW), row = y0 + Math.floor((start + p) / tileW);
          const x = axis(col, width, scale), y = axis(row, height, scale);
          coords[3 * p] = x;
          coords[3 * p + 1] = y;
          coords[3 * p + 2] = Math.fround(Math.sqrt(x * x + y * y));
        }
        const floats = tf.tidy(() => {
          const xyr = tf.slice(tf.tensor2d(coords, [n, 3]), [0, 0], [n, g.n_coords]);
          let h = act(g.first, tf.add(tf.matMul(xyr, this.xyr.kernel), tf.tensor2d(zp, [1, N])));
          for (const step of this.steps) {
            let src = h;
            for (const L of step.layers) src = dense(src, L);
            h = step.residual ? tf.add(h, src) : src;
          }
          return out(tf.add(tf.matMul(h, this.output.kernel), this.output.bias)).dataSync();
        });
        toRGBA(floats, C, rgba, 4 * start, invert);
      }
      return rgba;
    }
  }

  return { load, renderJS, zProjection, GLRenderer, TFRenderer, shaderSource, packForGL };
})();
