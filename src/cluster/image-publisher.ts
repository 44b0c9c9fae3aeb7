/**
 * ImagePublisher: hands a controller's successive MetadataImages to its subscribers (ReplicaManager)
 * in order, and lets admin calls wait until their change shows in a published image.
 *
 * Owned by a coordination-backed controller (ZkController today; nothing here is specific to
 * ZooKeeper, so a Raft-backed controller publishes the same way). The owner passes `build`, which
 * turns its current cached state into an image; `publishSoon()` coalesces the changes of one tick
 * into one image (built in a microtask), and images reach subscribers one after another, each only
 * after the previous one was handled. Lives as long as its controller; `close()` stops publishing
 * and wakes the waiters (which then resolve on their own timers).
 */
import type { Logger } from 'pino';
import type { Clock } from '../io/clock.js';
import { MetadataImage } from './metadata-image.js';

export interface ImagePublisherOptions {
  /** Builds the next image from the owner's current state. */
  build: () => MetadataImage;
  clock: Clock;
  log: Logger;
  /** How long `waitFor` waits when the caller gives no timeout. */
  waitMsDefault: number;
}

export class ImagePublisher {
  #image: MetadataImage;
  #listeners: Array<(image: MetadataImage) => void | Promise<void>> = [];
  #publishChain: Promise<void> = Promise.resolve();
  #publishScheduled = false;
  #waiters = new Set<() => void>();
  #closed = false;

  constructor(private readonly opts: ImagePublisherOptions) {
    this.#image = new MetadataImage('', -1, new Map(), new Map());
  }

  /** The image last handed to the subscribers. */
  get image(): MetadataImage {
    return this.#image;
  }

  subscribe(listener: (image: MetadataImage) => void | Promise<void>): void {
    this.#listeners.push(listener);
  }

  publishSoon(): void {
    if (this.#publishScheduled || this.#closed) return;
    this.#publishScheduled = true;
    queueMicrotask(() => {
      this.#publishScheduled = false;
      const next = this.opts.build();
      this.#publishChain = this.#publishChain.then(async () => {
        this.#image = next;
        for (const l of this.#listeners) {
          try {
            await l(next);
          } catch (err) {
            this.opts.log.error({ err }, 'metadata image subscriber failed');
          }
        }
        this.wake();
      });
    });
  }

  /** The publications queued so far (not one scheduled by a `publishSoon` in this same tick). */
  get settled(): Promise<void> {
    return this.#publishChain;
  }

  /** Resolves when `check(image)` holds for a published image, or false after `timeoutMs`. */
  waitFor(check: (image: MetadataImage) => boolean, timeoutMs = this.opts.waitMsDefault): Promise<boolean> {
    if (check(this.#image)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = (): void => {
        if (check(this.#image)) {
          this.#waiters.delete(waiter);
          timer.cancel();
          resolve(true);
        }
      };
      const timer = this.opts.clock.setTimer(timeoutMs, () => {
        this.#waiters.delete(waiter);
        resolve(false);
      });
      this.#waiters.add(waiter);
    });
  }

  /** Makes every waiter check again (after an image, or when something else its check reads changed). */
  wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  close(): void {
    this.#closed = true;
    this.wake();
  }
}
