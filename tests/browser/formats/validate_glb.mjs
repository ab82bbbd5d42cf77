// The Khronos glTF-Validator on a .glb: node validate_glb.mjs IN.glb -> its report's issues as JSON on stdout.
import fs from 'node:fs';
import validator from 'gltf-validator';

const report = await validator.validateBytes(new Uint8Array(fs.readFileSync(process.argv[2])), { maxIssues: 1000 });
console.log(JSON.stringify(report.issues));
