// MathJax 3 configuration, loaded before MathJax itself. Formulas in Markdown pages
// come wrapped by pymdownx.arithmatex; notebook cells keep the $...$ and $$...$$
// delimiters of Jupyter, so those are recognised too.
window.MathJax = {
  tex: {
    inlineMath: [["$", "$"], ["\\(", "\\)"]],
    displayMath: [["$$", "$$"], ["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    ignoreHtmlClass: "highlight|jp-CodeCell|jp-OutputArea",
  },
};

// mkdocs-material loads pages without a full reload: typeset each new page.
if (typeof document$ !== "undefined") {
  document$.subscribe(() => {
    if (window.MathJax && MathJax.typesetPromise) {
      MathJax.startup.output.clearCache();
      MathJax.typesetClear();
      MathJax.texReset();
      MathJax.typesetPromise();
    }
  });
}
