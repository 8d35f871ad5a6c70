// Copies the JSON Schemas from the repository's schemas/ into the extension (schemas/, gitignored),
// so that the packaged .vsix carries them and `yamlValidation` can point at them. The repository copy
// is the only one anybody edits.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const extensionRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
const repositorySchemas = join(extensionRoot, "..", "..", "schemas");
const bundledSchemas = join(extensionRoot, "schemas");

mkdirSync(bundledSchemas, { recursive: true });
for (const name of ["wfc.schema.json", "wfc-workers.schema.json"]) {
  copyFileSync(join(repositorySchemas, name), join(bundledSchemas, name));
}
