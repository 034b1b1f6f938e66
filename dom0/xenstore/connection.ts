// One client connection of xenstored: a domain's shared-ring connection, or dom0's. pvlab
// keeps one connection per domid (Xen's dom0 has a socket per tool; here they share one).
// It owns the domain's watches and open transactions, and, after SET_TARGET, the domain it
// acts for (a device-model stub domain acts for its guest).
//
// Who calls it: xenstored only.

import type { Caller } from './perms';
import type { Transaction } from './transaction';
import { WatchList, type WatchIndex } from './watch';

export class Connection {
  readonly watches: WatchList;
  readonly transactions = new Map<number, Transaction>();
  target: number | undefined;
  /** INTRODUCE'd and not yet released (privileged connections count as introduced). */
  introduced: boolean;
  private nextTxId = 1;

  constructor(
    readonly domid: number,
    readonly privileged: boolean,
    index?: WatchIndex,
  ) {
    this.introduced = privileged;
    this.watches = new WatchList(index);
    this.watches.owner = this;
  }

  get caller(): Caller {
    return { domid: this.domid, privileged: this.privileged, target: this.target };
  }

  /** A transaction id not in use: counts up from 1, wraps as a u32, never 0 (0 = no tx). */
  allocateTxId(): number {
    // Among size+1 consecutive ids at least one is free, which bounds the search.
    for (let tries = 0; tries <= this.transactions.size; tries++) {
      const id = this.nextTxId;
      this.nextTxId = id === 0xffffffff ? 1 : id + 1;
      if (!this.transactions.has(id)) return id;
    }
    throw new Error('pvlab bug: no free transaction id');
  }

  /** RESET_WATCHES, or the connection going away. */
  reset(): void {
    this.watches.clear();
    this.transactions.clear();
  }
}
