import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { UserError, errorMessage } from '../common/errors.js';
import type { Manifest } from './manifest.js';

/** Token counts of one encoded task text. */
export interface TaskEncoding {
  tokens: number;
  truncated: boolean;
}

/**
 * The model's task-text tokenizer (Hugging Face tokenizer.json). Encodes with the tokenizer's
 * special tokens, truncates to maxTaskTokens and right-pads with the manifest's pad id.
 */
export class TaskTokenizer {
  readonly #tokenizer: Tokenizer;
  readonly #maxTokens: number;
  readonly #padId: bigint;

  constructor(tokenizerPath: string, manifest: Manifest) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(tokenizerPath, 'utf8'));
      this.#tokenizer = new Tokenizer(json as object, {});
    } catch (error) {
      throw new UserError(`cannot load tokenizer ${tokenizerPath} (${errorMessage(error)}): re-export the model`);
    }
    this.#maxTokens = manifest.maxTaskTokens;
    this.#padId = BigInt(manifest.padTokenId);
  }

  /** Writes the token ids and attention mask ([T] int64 each) for a task text. */
  encode(text: string, inputIds: BigInt64Array, attentionMask: BigInt64Array): TaskEncoding {
    const ids = this.#tokenizer.encode(text).ids;
    const count = Math.min(ids.length, this.#maxTokens);
    for (let i = 0; i < this.#maxTokens; i++) {
      const real = i < count;
      inputIds[i] = real ? BigInt(ids[i] ?? 0) : this.#padId;
      attentionMask[i] = real ? 1n : 0n;
    }
    return { tokens: count, truncated: ids.length > this.#maxTokens };
  }
}
