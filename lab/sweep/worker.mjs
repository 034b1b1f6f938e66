// A sweep's worker thread, as piscina loads it: registers tsx's loader in this thread (Node
// does not carry the main thread's loader into a Worker), then runs one point per task.
import { register } from 'tsx/esm/api';

register();
const { runPoint } = await import('./point.ts');

/** @param {import('./point.ts').PointTask} task */
export default function run(task) {
  return runPoint(task);
}
