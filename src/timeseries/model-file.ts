/** The fitted model (model-io.ts) as a file: written atomically (io/atomic.ts), read and checked. */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../io/atomic.ts';
import { fittedModelJson, FittedModelError, parseFittedModel, type FittedModel, type SaveInput } from './model-io.ts';

/** Writes the fitted model to `file` atomically. */
export async function saveFittedModel(file: string, input: SaveInput): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(fittedModelJson(input), null, 2)}\n`);
}

/** Reads a fitted model and rebuilds its field. */
export async function loadFittedModel(file: string): Promise<FittedModel> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new FittedModelError(file, '(file)', `cannot read: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FittedModelError(file, '(file)', `not JSON: ${(error as Error).message}`);
  }
  return parseFittedModel(json, file);
}
