// The 3D view: the compressed splat (streamed lod-meta.json, .sog, or meta.json + WebP) rendered by the bundled
// PlayCanvas engine.
// State for people goes to the status line; `window.spaceportViewer` exposes it to tests.
const ENGINE = '/static/vendor/playcanvas.min.mjs';

function setState(status, state, extra = {}) {
  Object.assign(window.spaceportViewer, { state }, extra);
  status.textContent = extra.error ? `${state}: ${extra.error}` : state;
}

function orbit(pc, app, camera, canvas, center, radius) {
  let yaw = 0; let pitch = -15; let distance = radius * 2.4;
  const place = () => {
    const q = new pc.Quat().setFromEulerAngles(pitch, yaw, 0);
    const offset = q.transformVector(new pc.Vec3(0, 0, distance));
    camera.setPosition(center.x + offset.x, center.y + offset.y, center.z + offset.z);
    camera.lookAt(center);
  };
  let dragging = null;
  canvas.addEventListener('pointerdown', (e) => { dragging = { x: e.clientX, y: e.clientY }; canvas.setPointerCapture(e.pointerId); });
  canvas.addEventListener('pointerup', () => { dragging = null; });
  canvas.addEventListener('pointermove', (e) => {
    if (!dragging) return;
    yaw -= (e.clientX - dragging.x) * 0.3; pitch = Math.max(-89, Math.min(89, pitch - (e.clientY - dragging.y) * 0.3));
    dragging = { x: e.clientX, y: e.clientY }; place();
  });
  canvas.addEventListener('wheel', (e) => { e.preventDefault(); distance *= Math.exp(e.deltaY * 0.001); place(); }, { passive: false });
  place();
}

export async function showSplat(canvas, url, status, flipButton) {
  window.spaceportViewer = { state: 'loading', frames: 0, drawn: 0, error: null };
  setState(status, 'loading engine');
  let pc;
  try {
    pc = await import(ENGINE);
  } catch (error) {
    setState(status, 'error', { error: 'the PlayCanvas engine is not bundled with this monitor' });
    return;
  }
  const app = new pc.Application(canvas, { graphicsDeviceOptions: { deviceTypes: ['webgl2'], antialias: false } });
  app.setCanvasFillMode(pc.FILLMODE_NONE);
  app.setCanvasResolution(pc.RESOLUTION_FIXED, canvas.width, canvas.height);
  app.start();
  const camera = new pc.Entity('camera');
  camera.addComponent('camera', { clearColor: new pc.Color(0.1, 0.1, 0.12), fov: 50 });
  app.root.addChild(camera);
  // A streamed SOG (lod-meta.json): the engine fetches the coarsest level first and draws it while the finer
  // levels the view asks for arrive (up to 8 levels coarser than wanted).
  if (new URL(url, location.href).pathname.endsWith('/lod-meta.json')) app.scene.gsplat.lodUnderfillLimit = 8;
  const asset = new pc.Asset('splat', 'gsplat', { url });
  asset.on('error', (error) => setState(status, 'error', { error: String(error) }));
  asset.ready(() => {
    const splat = new pc.Entity('splat');
    splat.addComponent('gsplat', { asset });
    app.root.addChild(splat);
    const box = asset.resource.aabb;
    const radius = Math.max(box.halfExtents.length(), 1e-3);
    camera.camera.nearClip = radius * 0.01; camera.camera.farClip = radius * 20;
    orbit(pc, app, camera, canvas, box.center.clone(), radius);
    flipButton.addEventListener('click', () => splat.rotateLocal(0, 0, 180));
    app.on('frameend', () => {
      window.spaceportViewer.frames += 1;
      window.spaceportViewer.drawn = app.stats.frame.gsplats;  // a streamed model's stays 0 until a chunk arrives
      if (window.spaceportViewer.state !== 'rendering') setState(status, 'rendering');
    });
    setState(status, 'loaded');
  });
  setState(status, 'loading splat');
  app.assets.add(asset);
  app.assets.load(asset);
}
