// The entry point: registers the app element (and, through it, every page and component).
import './app-root.js';
