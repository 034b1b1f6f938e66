// Every lesson, in course order. A scenario in scenarios/ with a lesson text but no entry here
// is still listed and explained; it just has no figures table.
import type { LessonSpec } from './lesson';
import { eventChannels, xenbusHandshake } from './defs/control';
import { grantMapVsCopy, pvVsHvm, ringBatching, vmexitAnatomy } from './defs/io';
import { accelerators, pvhvm, tcgFallback } from './defs/modes';
import { boostIo, creditCaps, dom0Bottleneck } from './defs/sched';
import { forkStorm } from './defs/memory';
import { hostileGuest } from './defs/robust';
import { xenVsKvm } from './defs/kvm';
import { interruptModeration } from './defs/net';

export const LESSONS: readonly LessonSpec[] = [
  pvVsHvm, vmexitAnatomy, ringBatching, grantMapVsCopy, eventChannels, xenbusHandshake,
  creditCaps, boostIo, dom0Bottleneck, forkStorm, accelerators, tcgFallback, pvhvm, hostileGuest,
  xenVsKvm, interruptModeration,
];

export function lessonSpec(name: string): LessonSpec | undefined {
  return LESSONS.find((l) => l.name === name);
}
