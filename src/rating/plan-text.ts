// Reads the text of a plan file into a document for compilePlan: JSON, or YAML for people who
// write plans by hand. No file access here; the caller reads the file.
import { parse as parseYaml } from 'yaml';
import { InvalidPlanError } from './errors.js';

/**
 * Parses plan text. A name ending in .json is read as JSON (fast for large rate decks), .yaml or
 * .yml as YAML; without a telling name, JSON is tried first, then YAML.
 */
export function parsePlanText(text: string, fileName = ''): unknown {
  const lower = fileName.toLowerCase();
  const yamlFirst = lower.endsWith('.yaml') || lower.endsWith('.yml');
  try {
    if (yamlFirst) return parseYaml(text) as unknown;
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      if (lower.endsWith('.json')) throw error;
      return parseYaml(text) as unknown;
    }
  } catch (error) {
    throw new InvalidPlanError([
      `${fileName || 'plan'}: cannot be parsed: ${(error as Error).message}`,
    ]);
  }
}
