import { freshDb } from './x.js';
