# Helpers of the appendix: package versions from renv.lock and from the project's Python venv.

renv_packages <- function(lock) {
  packages <- lock$Packages
  data.frame(
    Package = vapply(packages, function(p) p$Package, ""),
    Version = vapply(packages, function(p) p$Version, ""),
    row.names = NULL
  )
}

package_table <- function(versions) {
  if (is.null(versions)) return(NULL)
  data.frame(Package = versions$package, Version = versions$version)
}

# A compact, wrapping list of "package version" pairs.
package_list <- function(packages, caption) {
  entries <- sprintf("<code>%s</code>&nbsp;%s", html_escape(packages$Package),
                     html_escape(packages$Version))
  sprintf('<p><em>%s</em></p>\n<p class="package-list">%s</p>\n', caption,
          paste(entries, collapse = " · "))
}

# The venv's Python version and installed distributions, asked of that Python itself.
python_environment <- function() {
  executable <- file.path(PROJECT_ROOT, ".venv", "bin", "python")
  if (!file.exists(executable)) return(NULL)
  script <- paste(
    "import json, sys, importlib.metadata as md",
    "versions = {(d.metadata['Name'] or '?'): d.version for d in md.distributions()}",
    "packages = sorted(versions.items(), key=lambda p: p[0].lower())",
    "print(json.dumps({'version': sys.version.split()[0], 'packages': packages}))",
    sep = "\n"
  )
  output <- system2(executable, c("-c", shQuote(script)), stdout = TRUE)
  info <- jsonlite::fromJSON(paste(output, collapse = "\n"))
  list(
    executable = executable, version = info$version,
    packages = data.frame(Package = info$packages[, 1], Version = info$packages[, 2])
  )
}
