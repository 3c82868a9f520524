import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { UserError, errorMessage } from '../common/errors.js';
import type { Manifest } from './manifest.js';

/** Token counts of one encoded task text. */
export interface TaskEncoding {
  tokens: number;
  truncated: boolean;
}

/**
 * Reads tokenizer_config.json beside tokenizer.json when present. @huggingface/tokenizers 0.2.0
 * takes the unknown token of a WordLevel model from this config, not from the model section of
 * tokenizer.json, so the model's unk_token fills in when the config has none.
 */
function tokenizerConfig(tokenizerPath: string, modelUnknownToken: string | undefined): Record<string, unknown> {
  const configPath = path.join(path.dirname(tokenizerPath), 'tokenizer_config.json');
  const config = existsSync(configPath) ? (JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>) : {};
  if (config.unk_token === undefined && modelUnknownToken !== undefined) config.unk_token = modelUnknownToken;
  return config;
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
    try {
      const json = JSON.parse(readFileSync(tokenizerPath, 'utf8')) as { model?: { unk_token?: string } };
      this.#tokenizer = new Tokenizer(json, tokenizerConfig(tokenizerPath, json.model?.unk_token));
    } catch (error) {
      throw new UserError(`cannot load tokenizer ${tokenizerPath} (${errorMessage(error)}): re-export the model`);
    }
    this.#maxTokens = manifest.maxTaskTokens;
    this.#padId = BigInt(manifest.padTokenId);
  }

  /** Writes the token ids and attention mask ([T] int64 each) for a task text. */
  encode(text: string, inputIds: BigInt64Array, attentionMask: BigInt64Array): TaskEncoding {
    const { ids, tokens } = this.#tokenizer.encode(text);
    const unknown = (ids as (number | undefined)[]).findIndex((id) => id === undefined);
    if (unknown >= 0) {
      throw new UserError(`task token "${tokens[unknown]}" is not in the vocabulary and the tokenizer has no unknown token: rephrase the task or re-export the model`);
    }
    const count = Math.min(ids.length, this.#maxTokens);
    for (let i = 0; i < this.#maxTokens; i++) {
      const real = i < count;
      inputIds[i] = real ? BigInt(ids[i] ?? 0) : this.#padId;
      attentionMask[i] = real ? 1n : 0n;
    }
    return { tokens: count, truncated: ids.length > this.#maxTokens };
  }
}
