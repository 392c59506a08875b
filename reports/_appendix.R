# Helpers of the appendix: package versions from renv.lock and from the results (R and Python).

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
