/** Test fixture: runs the `rdvla` command line from the sources. Usage: rdvla-cli.ts ARGS... */
import { main } from '../../cli/main.js';

await main(process.argv);
