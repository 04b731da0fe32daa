@echo off
rem Geyser's check for a Windows machine: runs the Windows tests and streams frames between
rem two geyser.exe processes, then prints a PASS/FAIL/SKIP report (docs/windows.md).
rem
rem   scripts\windows-check.bat [BUILD_DIR]
rem
rem BUILD_DIR is a Windows build (`make windows` makes build-windows\, copied to this machine
rem whole); default: build-windows beside this script's folder. Exit code 0 when nothing
rem failed, 1 otherwise. Logs stay in %TEMP%\geyser-check-* (the report names the folder).
setlocal EnableExtensions EnableDelayedExpansion
if "%~1"==":recv_child" goto recv_child

set "BUILD=%~1"
if "%BUILD%"=="" set "BUILD=%~dp0..\build-windows"
set "GEYSER=%BUILD%\tools\geyser\geyser.exe"
set "TESTS=%BUILD%\tests\windows"
set "WORK=%TEMP%\geyser-check-%RANDOM%%RANDOM%"
set /a PASSED=0, FAILED=0, SKIPPED=0
mkdir "%WORK%"
if not exist "%WORK%\" exit /b 1
echo geyser windows check: build %BUILD%, logs in %WORK%

if not exist "%GEYSER%" (
  call :report FAIL "geyser.exe" "not found at %GEYSER% (make windows builds it)"
  goto summary
)

call :run_tests core geyser_windows_core_tests.exe
call :run_tests ipc geyser_windows_ipc_tests.exe
call :run_tests host geyser_windows_host_tests.exe
call :run_tests vulkan geyser_windows_vulkan_tests.exe

call :stream "host frames, host sender to host receiver" host host

rem Parentheses in messages stay out of ( ) blocks, where cmd would take them for the end.
"%GEYSER%" info > "%WORK%\info.txt" 2>&1
if not errorlevel 1 goto vulkan_streams
set "WHY=see geyser info"
for /f "tokens=*" %%l in ('find "usable:" ^< "%WORK%\info.txt"') do set "WHY=%%l"
call :report SKIP "Vulkan streams" "no Vulkan device that shares memory, !WHY!; geyser info: %WORK%\info.txt"
goto summary
:vulkan_streams
call :stream "Vulkan sender to Vulkan receiver, zero-copy" vulkan vulkan
call :stream "Vulkan sender to host receiver, host frames" vulkan host

:summary
echo.
echo geyser windows check: %PASSED% passed, %FAILED% failed, %SKIPPED% skipped
if %FAILED% gtr 0 exit /b 1
exit /b 0

rem ---------------------------------------------------------------------------------------
rem call :report PASS|FAIL|SKIP "what" "detail"
:report
echo %~1: %~2 - %~3
if "%~1"=="PASS" set /a PASSED+=1
if "%~1"=="FAIL" set /a FAILED+=1
if "%~1"=="SKIP" set /a SKIPPED+=1
exit /b 0

rem call :run_tests LABEL EXE: one GoogleTest executable of the build, its log in WORK.
:run_tests
set "EXE=%TESTS%\%~2"
set "LOG=%WORK%\%~1-tests.txt"
if not exist "%EXE%" (
  call :report SKIP "%~1 tests" "%~2 not in %TESTS%"
  exit /b 0
)
"%EXE%" > "%LOG%" 2>&1
if errorlevel 1 (
  call :report FAIL "%~1 tests" "%~2 failed; see %LOG%"
  exit /b 0
)
find "[  SKIPPED ]" "%LOG%" > nul
if errorlevel 1 (
  call :report PASS "%~1 tests" "%~2"
) else (
  call :report PASS "%~1 tests" "%~2, some skipped (the reasons are in %LOG%)"
)
exit /b 0

rem call :stream "what" SEND_API RECV_API: the receiver starts first and waits for the
rem channel; the sender streams 600 frames at 60 a second; the receiver checks 300 of them
rem against the test pattern (--verify). Both must exit 0.
:stream
set "CH=check-%RANDOM%%RANDOM%"
set "RCF=%WORK%\%CH%.rc"
start "" /b cmd /c call "%~f0" :recv_child "%GEYSER%" %CH% %~3 "%WORK%\%CH%.recv.json" "%RCF%"
"%GEYSER%" send %CH% --api %~2 --size 640x480 --frames 600 --fps 60 --quiet > "%WORK%\%CH%.send.txt" 2>&1
set SEND_RC=!ERRORLEVEL!
for /l %%i in (1,1,40) do (
  if exist "%RCF%" goto stream_done
  ping -n 2 127.0.0.1 > nul
)
call :report FAIL "%~1" "the receiver did not finish, see %WORK%\%CH%.recv.json"
exit /b 0
:stream_done
set /p RECV_RC=<"%RCF%"
if not "%SEND_RC%"=="0" (
  call :report FAIL "%~1" "send exited %SEND_RC%, see %WORK%\%CH%.send.txt"
  exit /b 0
)
if not "%RECV_RC%"=="0" (
  call :report FAIL "%~1" "recv --verify exited %RECV_RC%, see %WORK%\%CH%.recv.json"
  exit /b 0
)
call :report PASS "%~1" "300 frames received, every one the test pattern"
exit /b 0

rem The receiver, run by :stream in a cmd of its own: writes its exit code into a file.
:recv_child
"%~2" recv %~3 --api %~4 --frames 300 --verify --json --timeout 30 > "%~5" 2> "%~5.err"
echo !ERRORLEVEL!> "%~6.tmp"
move /y "%~6.tmp" "%~6" > nul
exit /b 0
