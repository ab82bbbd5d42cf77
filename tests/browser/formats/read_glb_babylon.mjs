// Babylon.js's own glTF loader (its KHR_gaussian_splatting extension) reads a .glb on a NullEngine and we
// write down what it decoded: node read_glb_babylon.mjs IN.glb OUT_DIR -> OUT_DIR/{meta.json,splats.bin,sh.bin}.
// splats.bin is Babylon's 32-byte row per splat: position (3 x f32), linear scale (3 x f32), RGBA (u8: the
// colour it rebuilt from SH degree 0, and the opacity), rotation (u8 w, x, y, z as q * 127.5 + 127.5).
// sh.bin holds, per splat, the higher-order SH it rebuilt (u8, x * 128 + 128, coefficient-major, 48 bytes).
// Node has no Worker: the loader starts one to sort splats for drawing, which a file read never needs, so a
// do-nothing Worker stands in for it.
globalThis.Worker = class { postMessage() {} terminate() {} addEventListener() {} };
globalThis.URL.createObjectURL = () => 'blob:none';

import fs from 'node:fs';
import path from 'node:path';
import { NullEngine } from '@babylonjs/core/Engines/nullEngine.js';
import { Scene } from '@babylonjs/core/scene.js';
import { LoadAssetContainerAsync } from '@babylonjs/core/Loading/sceneLoader.js';
import '@babylonjs/loaders/glTF/2.0/index.js';

const [input, out] = process.argv.slice(2);
const engine = new NullEngine();
const scene = new Scene(engine);
const keep = (mesh) => { mesh._keepInRam = true; };  // so the loaded mesh keeps the rows it uploaded
const container = await LoadAssetContainerAsync(new Uint8Array(fs.readFileSync(input)), scene, {
  pluginExtension: '.glb',
  pluginOptions: { gltf: { onMeshLoaded: keep } },
});
const mesh = container.meshes.find((m) => m.getClassName() === 'GaussianSplattingMesh');
if (!mesh || !mesh.splatsData) {
  console.error(`no Gaussian splatting mesh in ${input}: ${container.meshes.map((m) => m.getClassName())}`);
  process.exit(1);
}
const rows = new Uint8Array(mesh.splatsData);
const count = rows.length / 32;
const perSplat = (mesh.shData ?? []).length * 16;
const sh = new Uint8Array(count * perSplat);
(mesh.shData ?? []).forEach((texture, t) => {
  for (let i = 0; i < count; i++) sh.set(texture.subarray(i * 16, i * 16 + 16), i * perSplat + t * 16);
});
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'splats.bin'), rows);
fs.writeFileSync(path.join(out, 'sh.bin'), sh);
fs.writeFileSync(path.join(out, 'meta.json'), JSON.stringify({ count, shDegree: mesh.shDegree ?? 0, shBytes: perSplat }));
process.exit(0);
