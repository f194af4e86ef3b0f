// Placeholder page script (the real page replaces it): loads the wasm engine and says so.
import init from './pkg/datasieve_wasm.js';

const status = document.getElementById('status');
init().then(
  () => { status.textContent = 'engine ready'; document.body.dataset.engine = 'ready'; },
  (error) => { status.textContent = `engine failed to load: ${error}`; document.body.dataset.engine = 'failed'; },
);
