"""A one-file 3D viewer page for a `.sog`, on the PlayCanvas engine bundled at build time (no CDN)."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

VIEWER_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Spaceport splat</title>
<style>html,body{margin:0;height:100%;background:#111;color:#ddd;font:14px sans-serif}
canvas{width:100%;height:100%;display:block}#hint{position:fixed;left:12px;bottom:10px;opacity:.7}</style>
</head><body><canvas id="c"></canvas><div id="hint">drag to orbit, wheel to zoom</div>
<script type="module">
import * as pc from './playcanvas.mjs';
const canvas = document.getElementById('c');
const app = new pc.Application(canvas, {mouse: new pc.Mouse(canvas),
  graphicsDeviceOptions: {deviceTypes: ['webgl2'], antialias: false}});
app.setCanvasFillMode(pc.FILLMODE_FILL_WINDOW); app.setCanvasResolution(pc.RESOLUTION_AUTO);
window.addEventListener('resize', () => app.resizeCanvas());
const camera = new pc.Entity('camera');
camera.addComponent('camera', {clearColor: new pc.Color(0.07, 0.07, 0.08), fov: 60});
app.root.addChild(camera);
let yaw = 0, pitch = -15, distance = 4, target = new pc.Vec3();
const place = () => {
  const q = new pc.Quat().setFromEulerAngles(pitch, yaw, 0);
  camera.setPosition(target.clone().add(q.transformVector(new pc.Vec3(0, 0, distance))));
  camera.lookAt(target);
};
app.mouse.on('mousemove', e => { if (e.buttons[0]) { yaw -= e.dx * 0.3; pitch = Math.max(-89, Math.min(89, pitch - e.dy * 0.3)); place(); } });
app.mouse.on('mousewheel', e => { distance *= e.wheelDelta > 0 ? 0.9 : 1.1; place(); });
const asset = new pc.Asset('splat', 'gsplat', {url: '__SOG_URL__'});
app.assets.add(asset);
asset.ready(() => {
  const entity = new pc.Entity('splat');
  entity.addComponent('gsplat', {asset});
  entity.setLocalEulerAngles(0, 0, 180);
  app.root.addChild(entity);
  const aabb = asset.resource.aabb || null;
  if (aabb) { target = aabb.center.clone(); target.z = -target.z; target.y = -target.y; distance = aabb.halfExtents.length() * 1.2; }
  place();
  app.on('frameend', () => { window.framesRendered = (window.framesRendered || 0) + 1; });
});
app.assets.load(asset);
place(); app.start();
</script></body></html>
"""


def find_engine() -> Path | None:
    """The bundled engine: the monitor's build-step copy, else the repository's node_modules."""
    candidates = []
    try:
        from spaceport_monitor.assets import engine_path

        candidates.append(engine_path())
    except ImportError:
        pass
    candidates += [REPO / "node_modules" / "playcanvas" / "build" / "playcanvas.min.mjs"]
    return next((p for p in candidates if p.is_file()), None)
