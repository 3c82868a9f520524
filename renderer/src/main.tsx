import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { type StudioClient, connectStudio } from './client/studio-client.js';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
let client: StudioClient | null = null;
let startupError: string | null = null;
try {
  client = connectStudio();
} catch (error) {
  startupError = error instanceof Error ? error.message : String(error);
}
root.render(client ? <App client={client} /> : <p className="startup-error">{startupError}</p>);
