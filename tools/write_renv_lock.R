#!/usr/bin/env Rscript
# Write renv.lock from the installed R packages that R/analysis/ and reports/ load, with their
# recursive hard dependencies, in renv's lockfile format. renv itself is not installable on the
# project's machines, so this script computes what renv would record, hashes included.
#   Rscript tools/write_renv_lock.R          rewrite renv.lock
#   Rscript tools/write_renv_lock.R --check  exit 1 if renv.lock differs from what it would write

code_dirs <- c("R/analysis", "reports", "tests/testthat", "benchmarks")
hash_fields <- c("Package", "Version", "Title", "Author", "Maintainer", "Description",
                 "Depends", "Imports", "Suggests", "LinkingTo")

packages_loaded_by_code <- function(dirs = code_dirs) {
  files <- list.files(dirs, pattern = "\\.(R|r|qmd|Rmd)$", recursive = TRUE, full.names = TRUE)
  text <- unlist(lapply(files, readLines, warn = FALSE))
  text <- sub("#.*$", "", text)
  calls <- regmatches(text, gregexpr("(library|require|requireNamespace)\\(\\s*['\"]?[A-Za-z][A-Za-z0-9.]*", text))
  colons <- regmatches(text, gregexpr("[A-Za-z][A-Za-z0-9.]*(?=:::?)", text, perl = TRUE))
  found <- c(sub(".*\\(\\s*['\"]?", "", unlist(calls)), unlist(colons))
  sort(unique(found[found %in% rownames(installed.packages())]))
}

hard_dependencies <- function(desc) {
  fields <- desc[intersect(c("Depends", "Imports", "LinkingTo"), names(desc))]
  fields <- fields[!is.na(fields)]
  if (length(fields) == 0) return(character())
  deps <- trimws(unlist(strsplit(unlist(fields), ",")))
  deps <- sub("\\s*\\(.*\\)", "", deps)
  setdiff(deps[nzchar(deps)], "R")
}

is_base <- function(pkg) {
  priority <- packageDescription(pkg, fields = "Priority")
  identical(priority, "base")
}

with_dependencies <- function(pkgs) {
  seen <- character()
  queue <- pkgs
  while (length(queue) > 0) {
    pkg <- queue[[1]]
    queue <- queue[-1]
    if (pkg %in% seen || is_base(pkg)) next
    seen <- c(seen, pkg)
    queue <- c(queue, hard_dependencies(packageDescription(pkg)))
  }
  sort(seen)
}

renv_hash <- function(desc) {
  fields <- desc[intersect(hash_fields, names(desc))]
  fields <- fields[!is.na(fields)]
  fields <- fields[order(names(fields), method = "radix")]
  text <- paste0(names(fields), ": ", unlist(fields), collapse = "\n")
  text <- gsub("[[:space:]]", "", text)
  tmp <- tempfile()
  on.exit(unlink(tmp))
  writeBin(charToRaw(paste0(text, "\n")), tmp)
  unname(tools::md5sum(tmp))
}

lock_entry <- function(pkg) {
  desc <- as.list(packageDescription(pkg))
  entry <- list(
    Package = pkg,
    Version = desc$Version,
    Source = "Repository",
    Repository = "CRAN",
    Requirements = I(sort(setdiff(hard_dependencies(desc), rownames(installed.packages(priority = "base"))))),
    Hash = renv_hash(desc)
  )
  entry
}

build_lock <- function() {
  pkgs <- with_dependencies(packages_loaded_by_code())
  list(
    R = list(
      Version = paste(R.version$major, R.version$minor, sep = "."),
      Repositories = list(list(Name = "CRAN", URL = "https://cloud.r-project.org"))
    ),
    Packages = setNames(lapply(pkgs, lock_entry), pkgs)
  )
}

lock_json <- function(lock) {
  paste0(jsonlite::toJSON(lock, auto_unbox = TRUE, pretty = 2), "\n")
}

main <- function(args = commandArgs(TRUE)) {
  wanted <- lock_json(build_lock())
  if ("--check" %in% args) {
    current <- if (file.exists("renv.lock")) paste0(readLines("renv.lock"), collapse = "\n") else ""
    if (!identical(trimws(current), trimws(wanted))) {
      have <- if (nzchar(current)) jsonlite::fromJSON(current)$Packages else list()
      want <- jsonlite::fromJSON(wanted)$Packages
      for (pkg in union(names(have), names(want))) {
        a <- have[[pkg]]$Version
        b <- want[[pkg]]$Version
        if (!identical(a, b)) {
          cat(sprintf("renv.lock: %s is %s, installed/needed: %s\n", pkg,
                      if (is.null(a)) "absent" else a, if (is.null(b)) "not needed" else b))
        }
      }
      cat("renv.lock is out of date: run `make renv-lock`\n")
      quit(status = 1)
    }
    cat("renv.lock matches the installed packages the code loads\n")
  } else {
    writeLines(trimws(wanted), "renv.lock")
    cat(sprintf("renv.lock: %d packages\n", length(jsonlite::fromJSON(wanted)$Packages)))
  }
}

main()
