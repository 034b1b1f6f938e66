// What a report page shows, as data: a title, tables, and charts grouped in sections. The
// builders (run-page.ts, compare-page.ts) make one from a run or a comparison; page.ts turns it
// into one self-contained HTML file. Tables are rendered to HTML in Node; charts travel as
// JSON inside the page and are drawn there by Apache ECharts.
import type { EChartsOption } from './charts';

export interface PageTable {
  title: string;
  header: string[];
  /** Cells as shown; numbers are right-aligned. */
  rows: (string | number)[][];
  /** Columns (by index) whose cells are numbers. */
  numeric?: number[];
}

/** One domain's rectangles on the pCPU timeline. */
export interface TimelineDomain {
  dom: number;
  label: string;
  color: string;
}

export interface TimelineData {
  pcpus: number[];
  domains: TimelineDomain[];
  /** [pCPU row, start ms, end ms, domain index in `domains`, vCPU]; idle time is left blank. */
  slices: [number, number, number, number, number][];
  fromMs: number;
  toMs: number;
}

export interface PageChart {
  id: string;
  title: string;
  /** A line under the title, e.g. which window of the run the timeline shows. */
  note?: string;
  kind: 'plain' | 'timeline';
  height: number;
  option: EChartsOption;
  timeline?: TimelineData;
}

export interface PageSection {
  title: string;
  /** A paragraph saying what the section shows. */
  text?: string;
  tables?: PageTable[];
  charts?: PageChart[];
}

export interface PageModel {
  title: string;
  subtitle: string;
  sections: PageSection[];
  /** Lines printed at the foot: notices, what generated the page. */
  footer: string[];
}
