import { defineConfig } from "vite";

export default defineConfig({
  // Relative URLs: the built app works from any folder of a host (the tests serve it under one).
  base: "./",
});
