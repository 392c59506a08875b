# Sources every function file of R/analysis. Use: source("R/analysis/load.R", chdir = TRUE).
local({
  files <- setdiff(list.files(".", pattern = "\\.R$"), c("load.R", "run.R"))
  for (file in files) sys.source(file, envir = globalenv())
})
